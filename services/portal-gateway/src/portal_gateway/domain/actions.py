"""Which actions a user may run on a device now, and why not the others.

Three sources, checked in this order so the reason shown is the most fundamental one:
the device's state (wiped, unenrolled, wipe pending), what the platform supports
(capability matrix), the user's permissions, then state-dependent capability (lost mode).
The permission-service decides again with authority; this is for fast, honest feedback.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from ssp_contracts.capabilities import capability, is_supported_by_mode
from ssp_contracts.devices import DeviceSnapshot
from ssp_contracts.enums import ACTION_PERMISSION, Action, Permission

from portal_gateway.domain.device_status import device_status
from portal_gateway.domain.errors import Conflict, Forbidden

DEVICE_STATE_REASONS = {
    "device.wiped": "The device has been erased.",
    "device.wipe_pending": "An erase of this device is in progress.",
    "device.unenrolled": "The device is no longer managed.",
}
PERMISSION_REASON = "Your account is not allowed to do this."


@dataclass(frozen=True)
class Unavailable:
    code: str
    reason: str


@dataclass(frozen=True)
class Availability:
    allowed: tuple[Action, ...]
    unavailable: dict[Action, Unavailable] = field(default_factory=dict)

    def reasons(self) -> dict[str, str]:
        return {action.value: why.reason for action, why in self.unavailable.items()}


def _device_state_code(device: DeviceSnapshot) -> str | None:
    """The state that rules every action out, if any."""
    code = f"device.{device_status(device)}"
    return code if code in DEVICE_STATE_REASONS else None


def why_unavailable(device: DeviceSnapshot, permissions: Iterable[Permission],
                    action: Action) -> Unavailable | None:
    state = _device_state_code(device)
    if state is not None:
        return Unavailable(state, DEVICE_STATE_REASONS[state])
    mode = device.management_mode
    if not is_supported_by_mode(action, mode):
        cap = capability(action, mode)
        return Unavailable(cap.code or "unsupported", cap.reason or "Not supported.")
    if ACTION_PERMISSION[action] not in set(permissions):
        return Unavailable("permission.missing", PERMISSION_REASON)
    cap = capability(action, mode, lost_mode=device.lost_mode)
    if not cap.supported:
        return Unavailable(cap.code or "unsupported", cap.reason or "Not possible now.")
    return None


def action_availability(device: DeviceSnapshot,
                        permissions: Iterable[Permission]) -> Availability:
    perms = frozenset(permissions)
    allowed: list[Action] = []
    unavailable: dict[Action, Unavailable] = {}
    for action in Action:
        why = why_unavailable(device, perms, action)
        if why is None:
            allowed.append(action)
        else:
            unavailable[action] = why
    return Availability(tuple(allowed), unavailable)


def require_available(device: DeviceSnapshot, permissions: Iterable[Permission],
                      action: Action) -> None:
    """Raise the domain error that says why `action` cannot run (403 for rights, else 409)."""
    why = why_unavailable(device, permissions, action)
    if why is None:
        return
    if why.code == "permission.missing":
        raise Forbidden("action.not_permitted", why.reason, action=action.value)
    raise Conflict("action.unavailable", why.reason, action=action.value, reason_code=why.code)
