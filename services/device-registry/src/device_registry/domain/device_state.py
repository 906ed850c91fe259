"""A device's state in the registry and the pure folds that move it forward.

Every fold returns the very same object when nothing changed, so the caller can skip the
write and the snapshot; otherwise the copy has `version + 1`.
"""

from __future__ import annotations

from typing import Any

from ssp_contracts.base import OrgId, Version
from ssp_contracts.commands import CommandStatusChanged
from ssp_contracts.devices import DeviceOwner, DeviceRecord, DeviceReported, DeviceSnapshot
from ssp_contracts.enums import DeviceReportKind

from device_registry.domain.command_effects import command_updates
from device_registry.domain.errors import DeviceMismatch
from device_registry.domain.inventory_merge import inventory_updates, merged_identifiers
from device_registry.domain.timestamps import is_later


class DeviceState(DeviceRecord):
    """The registry's record of a device: the fields of `DeviceSnapshot`, one to one."""

    org_id: OrgId
    version: Version = 1


def _evolve(state: DeviceState, updates: dict[str, Any], *, bump: bool = True) -> DeviceState:
    changed = {name: value for name, value in updates.items() if getattr(state, name) != value}
    if not changed:
        return state
    if bump:
        changed["version"] = state.version + 1
    # Values come from validated contracts, so the copy needs no second validation.
    return state.model_copy(update=changed)


def _check_same_device(state: DeviceState, org_id: str, device_id: str) -> None:
    if (state.org_id, state.device_id) != (org_id, device_id):
        raise DeviceMismatch(
            "device.mismatch",
            f"event for {org_id}/{device_id} folded into {state.org_id}/{state.device_id}",
        )


def apply_report(state: DeviceState | None, report: DeviceReported) -> DeviceState:
    """Folds what a device said about itself; the first report of a device creates it."""
    if state is None:
        fresh = DeviceState(org_id=report.org_id, device_id=report.device_id,
                            platform=report.platform, management_mode=report.management_mode)
        return _evolve(fresh, _report_updates(fresh, report), bump=False)
    _check_same_device(state, report.org_id, report.device_id)
    return _evolve(state, _report_updates(state, report))


def _report_updates(state: DeviceState, report: DeviceReported) -> dict[str, Any]:
    # Every kind may carry identifiers and inventory (Apple's Authenticate has the model and
    # serial, for one); present fields are facts whatever the kind.
    updates: dict[str, Any] = {
        "platform": report.platform,
        "management_mode": report.management_mode,
        "identifiers": merged_identifiers(state.identifiers, report.identifiers),
        **inventory_updates(report.inventory),
    }
    if is_later(report.occurred_at, state.last_contact_at):
        updates["last_contact_at"] = report.occurred_at
    if report.kind is DeviceReportKind.ENROLLED:
        updates["enrolled"] = True
        updates["enrolled_at"] = report.occurred_at
        if state.wipe_state == "wiped":
            updates["wipe_state"] = "none"  # an erased device that enrolls again starts afresh
        if report.identity_changed and not _same_trusted_device(state, report):
            # Whoever enrolled with a new identity may not be the owner's device: the owner's
            # lost-mode message and locate must not reach it. The device leaves their list.
            updates["owner"] = None
    elif report.kind is DeviceReportKind.UNENROLLED:
        updates["enrolled"] = False
    return updates


def _same_trusted_device(state: DeviceState, report: DeviceReported) -> bool:
    serial = state.identifiers.serial_number
    return report.identity_trusted and serial is not None and \
        serial == report.identifiers.serial_number


def apply_command_status(state: DeviceState, event: CommandStatusChanged) -> DeviceState:
    """Folds a command's progress; statuses without an effect return `state` itself."""
    _check_same_device(state, event.org_id, event.device_id)
    return _evolve(state, command_updates(state, event))


def link(state: DeviceState, owner: DeviceOwner | None) -> DeviceState:
    """Sets or removes the owner; linking the current owner again keeps the original link."""
    current = state.owner
    if owner is not None and current is not None and owner.user_id == current.user_id:
        username = owner.username or current.username
        owner = current if username == current.username else current.model_copy(
            update={"username": username})
    return _evolve(state, {"owner": owner})


def to_snapshot(state: DeviceState) -> DeviceSnapshot:
    return DeviceSnapshot(**dict(state))
