"""Which status events carry a passcode, and who may see it when (pure rules)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from portal_gateway.domain.access import Caller
from portal_gateway.domain.command_view import CommandPublic
from portal_gateway.domain.errors import Conflict, Gone, NotFound
from portal_gateway.domain.passcode_secrets import (
    StoredPasscode,
    carries_passcode,
    check_revealable,
    is_revealable,
)
from ssp_contracts.commands import CommandResult, CommandStatusChanged
from ssp_contracts.enums import Action, CommandStatus, Permission

KEEP = timedelta(days=7)
ALICE = Caller(user_id="u-alice", org_id="acme", username="alice",
               permissions=frozenset(Permission))


def status_event(now, *, action=Action.RESET_PASSCODE, status=CommandStatus.ACKNOWLEDGED,
                 sealed: str | None = "c2VhbGVk") -> CommandStatusChanged:
    return CommandStatusChanged(
        org_id="acme", command_id="cmd-1", device_id="dev-1", action=action, status=status,
        version=5, requested_by="u-alice", occurred_at=now,
        result=CommandResult(sealed_secret=sealed) if sealed is not None else None)


def command(now, **fields) -> CommandPublic:
    values = {"command_id": "cmd-1", "device_id": "dev-1", "action": Action.RESET_PASSCODE,
              "status": CommandStatus.ACKNOWLEDGED, "requested_by": "u-alice",
              "requested_at": now, **fields}
    return CommandPublic(**values)


def stored(now, **fields) -> StoredPasscode:
    values = {"command_id": "cmd-1", "org_id": "acme", "device_id": "dev-1",
              "requested_by": "u-alice", "acknowledged_at": now, "sealed": "c2VhbGVk", **fields}
    return StoredPasscode(**values)


def check(now, cmd, kept, *, theirs=True, at=None):
    return check_revealable(ALICE, cmd, kept, device_is_theirs=theirs, keep_for=KEEP,
                            now=at or now)


def test_only_an_acknowledged_reset_with_a_sealed_value_carries_one(now):
    assert carries_passcode(status_event(now))
    assert not carries_passcode(status_event(now, sealed=None))
    assert not carries_passcode(status_event(now, sealed=""))
    assert not carries_passcode(status_event(now, status=CommandStatus.SENT))
    assert not carries_passcode(status_event(now, action=Action.LOCK))


def test_the_requester_gets_it_while_the_device_is_theirs(now):
    kept = stored(now)
    assert check(now, command(now), kept) == kept


@pytest.mark.parametrize("case", ["missing", "other_requester", "device_not_theirs"])
def test_anyone_else_gets_not_found_never_forbidden(now, case):
    cmd = None if case == "missing" else command(
        now, requested_by="u-bob" if case == "other_requester" else "u-alice")
    with pytest.raises(NotFound) as err:
        check(now, cmd, stored(now), theirs=case != "device_not_theirs")
    assert err.value.code == "command.not_found"


def test_other_actions_and_resets_without_a_passcode_have_none(now):
    with pytest.raises(NotFound) as err:
        check(now, command(now, action=Action.LOCK), None)
    assert err.value.code == "secret.not_found"
    with pytest.raises(NotFound) as err:  # Apple clears the passcode: nothing to show
        check(now, command(now), None)
    assert err.value.code == "secret.not_found"


@pytest.mark.parametrize(("status", "code"), [
    (CommandStatus.SENT, "secret.not_ready"), (CommandStatus.QUEUED, "secret.not_ready"),
    (CommandStatus.FAILED, "secret.not_available"),
    (CommandStatus.EXPIRED, "secret.not_available")])
def test_not_acknowledged_is_a_conflict_that_names_the_status(now, status, code):
    with pytest.raises(Conflict) as err:
        check(now, command(now, status=status), None)
    assert err.value.code == code and err.value.extra["command_status"] == status.value


def test_shown_once_then_gone_and_expired_after_the_keep_period(now):
    with pytest.raises(Gone) as err:
        check(now, command(now), stored(now, sealed=None, revealed_at=now))
    assert err.value.code == "secret.already_revealed" and err.value.status == 410
    with pytest.raises(Gone) as err:
        check(now, command(now), stored(now), at=now + KEEP)
    assert err.value.code == "secret.expired"
    kept = stored(now)
    assert is_revealable(kept, KEEP, now + KEEP - timedelta(seconds=1))
    assert not is_revealable(kept, KEEP, now + KEEP)
    assert not is_revealable(replace(kept, revealed_at=now), KEEP, now)
