"""Which actions a user may run on a device now, and why not the others.

The shared command policy (`ssp_contracts.policy`) asked with the signed-in caller and the
device as the gateway sees them: the permission-service decides again with the same rules and
authority; this is for fast, honest feedback (and the buttons of the device page).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from ssp_contracts.commands import CommandParams
from ssp_contracts.devices import DeviceSnapshot
from ssp_contracts.enums import Action, Permission
from ssp_contracts.policy import (
    DeviceFacts,
    Question,
    Requester,
    allowed_actions,
    check,
    param_problems,
)

from portal_gateway.domain.access import Caller
from portal_gateway.domain.errors import Conflict, FieldProblem, Forbidden, ValidationFailed


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


def action_availability(device: DeviceSnapshot, viewer: Requester,
                        permissions: Iterable[Permission]) -> Availability:
    """Every action as `viewer` holding `permissions` may run it on `device` now."""
    allowed: list[Action] = []
    unavailable: dict[Action, Unavailable] = {}
    for shown in allowed_actions(DeviceFacts.from_snapshot(device), viewer, permissions):
        if shown.allowed:
            allowed.append(shown.action)
        else:
            unavailable[shown.action] = Unavailable(shown.code, shown.reason)
    return Availability(tuple(allowed), unavailable)


def require_available(device: DeviceSnapshot, caller: Caller, action: Action,
                      params: CommandParams | None = None) -> None:
    """Raise the domain error that says why `action` (with `params`, when chosen) cannot run:
    403 for rights, 422 with every parameter problem, else 409."""
    decision = check(Question(
        org_id=caller.org_id, user_id=caller.user_id, device_id=device.device_id,
        action=action, requester=caller, permissions=caller.permissions,
        device=DeviceFacts.from_snapshot(device), params=params))
    if decision.authorized:
        return
    if decision.code == "permission.missing":
        raise Forbidden("action.not_permitted", decision.reason, action=action.value)
    if params is not None and decision.code.startswith("params."):
        ValidationFailed.raise_if_any(
            FieldProblem(p.field, p.code, p.message)
            for p in param_problems(action, device.platform, params, model=device.model))
    raise Conflict("action.unavailable", decision.reason, action=action.value,
                   reason_code=decision.code)
