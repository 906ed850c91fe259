"""The command path's in-memory pre-checks: one unfinished command per device and action,
fed by this instance's requests and by every status on the topic."""

from __future__ import annotations

from datetime import timedelta

import pytest
from portal_gateway.command_prechecks import PendingCommands, RateCounters
from portal_gateway.domain.errors import Conflict
from portal_gateway.domain.rate_limits import RateLimit, window_for
from ssp_contracts.commands import CommandStatusChanged
from ssp_contracts.enums import Action, CommandStatus


def status(command_id: str, value: str, version: int, now) -> CommandStatusChanged:
    return CommandStatusChanged(org_id="o", command_id=command_id, device_id="dev-1",
                                action=Action.LOCK, status=CommandStatus(value),
                                version=version, requested_by="u-1", occurred_at=now)


def test_a_command_another_system_requested_blocks_until_its_final_status(now):
    pending = PendingCommands(timedelta(minutes=10))
    pending.on_status(status("cmd-theirs", "authorized", 1, now))
    with pytest.raises(Conflict) as err:
        pending.claim("dev-1", Action.LOCK, "cmd-mine", now)
    assert err.value.extra["command_id"] == "cmd-theirs"
    pending.claim("dev-1", Action.REFRESH, "cmd-other-action", now)  # other actions go on
    pending.on_status(status("cmd-theirs", "acknowledged", 3, now))
    pending.on_status(status("cmd-theirs", "sent", 2, now))  # redelivered after its end
    pending.claim("dev-1", Action.LOCK, "cmd-mine", now)


def test_a_holder_counts_for_the_pending_time_at_most(now):
    pending = PendingCommands(timedelta(minutes=10))
    pending.claim("dev-1", Action.LOCK, "cmd-1", now)
    assert pending.holder("dev-1", Action.LOCK, now + timedelta(minutes=9)) == "cmd-1"
    pending.claim("dev-1", Action.LOCK, "cmd-2", now + timedelta(minutes=10))


async def test_rate_counters_count_per_window(now):
    rule = RateLimit("commands.user", 2, timedelta(minutes=10))
    counters = RateCounters(sweep_above=1)
    first = window_for(rule, "u-1", now)
    assert [await counters.hit(first) for _ in range(3)] == [1, 2, 3]
    later = window_for(rule, "u-1", now + timedelta(minutes=10))
    assert await counters.hit(later) == 1
