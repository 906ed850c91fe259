"""What a command's progress changes in a device's state (the field updates, not the fold)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ssp_contracts.commands import CommandStatusChanged
from ssp_contracts.enums import Action, CommandStatus

from device_registry.domain.inventory_merge import (
    inventory_updates,
    merged_identifiers,
    parse_refreshed,
)
from device_registry.domain.timestamps import is_later

if TYPE_CHECKING:  # device_state imports this module to fold with it
    from device_registry.domain.device_state import DeviceState

WIPE_PENDING = frozenset({CommandStatus.AUTHORIZED, CommandStatus.QUEUED, CommandStatus.SENT})
WIPE_ABANDONED = frozenset(
    {CommandStatus.REJECTED, CommandStatus.FAILED, CommandStatus.EXPIRED, CommandStatus.CANCELED}
)


def can_change_device(event: CommandStatusChanged) -> bool:
    """Whether this status may change the device at all: a wipe's every status (pending,
    wiped, abandoned), any other command's acknowledgement. The rest leave no trace, so the
    registry need not even read the device for them."""
    return event.action is Action.WIPE or event.status is CommandStatus.ACKNOWLEDGED


def command_updates(state: DeviceState, event: CommandStatusChanged) -> dict[str, Any]:
    if not can_change_device(event):
        return {}
    if event.action is Action.WIPE:
        return _wipe_updates(state, event.status)
    result = event.result
    if event.action is Action.ENABLE_LOST_MODE:
        return {"lost_mode": True}
    if event.action is Action.DISABLE_LOST_MODE:
        return {"lost_mode": False}
    if event.action is Action.LOCATE and result is not None and result.location is not None:
        stored = state.last_location
        # An older fix can arrive late (a retried command); the map keeps the newest.
        if is_later(result.location.at, stored.at if stored else None):
            return {"last_location": result.location}
        return {}
    if event.action is Action.LOCK and is_later(event.occurred_at, state.locked_at):
        return {"locked_at": event.occurred_at}
    if event.action is Action.RETIRE:
        # Removed from management: "no longer managed", as a device that unenrolled itself.
        # A re-enrollment after it (reported later than this answer) keeps the device managed.
        if is_later(event.occurred_at, state.enrolled_at):
            return {"enrolled": False, "lost_mode": False}
        return {}
    if event.action is Action.REFRESH and result is not None and result.inventory:
        inventory, identifiers = parse_refreshed(result.inventory)
        return {
            **inventory_updates(inventory),
            "identifiers": merged_identifiers(state.identifiers, identifiers),
        }
    return {}


def _wipe_updates(state: DeviceState, status: CommandStatus) -> dict[str, Any]:
    if status is CommandStatus.ACKNOWLEDGED:
        return {"wipe_state": "wiped", "lost_mode": False}  # erasing ends lost mode
    # A replayed earlier status must not make an erased device look pending again.
    if status in WIPE_PENDING and state.wipe_state != "wiped":
        return {"wipe_state": "pending"}
    # Otherwise a failed or expired wipe would block every later wipe as "already pending".
    if status in WIPE_ABANDONED and state.wipe_state == "pending":
        return {"wipe_state": "none"}
    return {}
