"""Which commands a device's current owner sees, and history order."""

from __future__ import annotations

from datetime import timedelta

from portal_gateway.domain.command_view import (
    CommandPublic,
    StatusStep,
    is_pending,
    is_since_link,
    ordered_history,
)
from ssp_contracts.devices import DeviceOwner
from ssp_contracts.enums import Action, CommandStatus, LinkSource

from .snapshots import snapshot


def command(**fields) -> CommandPublic:
    return CommandPublic(command_id="c1", device_id="dev-1", action=Action.LOCK,
                         status=CommandStatus.SENT, requested_by="u-old", **fields)


def test_owner_sees_only_commands_since_the_device_was_linked_to_them(now):
    device = snapshot(owner=DeviceOwner(user_id="u-new", linked_at=now,
                                        source=LinkSource.MANUAL))
    assert not is_since_link(command(requested_at=now - timedelta(seconds=1)), device)
    assert is_since_link(command(requested_at=now), device)
    assert is_since_link(command(updated_at=now + timedelta(minutes=1)), device)  # status only
    assert not is_since_link(command(requested_at=now), snapshot())  # unlinked device


def test_history_is_ordered_by_version_and_pending_is_non_terminal(now):
    steps = [StatusStep(status=CommandStatus.SENT, version=3, at=now),
             StatusStep(status=CommandStatus.REQUESTED, version=0, at=now),
             StatusStep(status=CommandStatus.AUTHORIZED, version=2, at=now)]
    assert [s.version for s in ordered_history(steps)] == [0, 2, 3]
    assert is_pending("queued") and not is_pending(CommandStatus.EXPIRED)
