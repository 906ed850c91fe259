"""The policy decision point for every `CommandRequested`, and the same rules for the UI.

`authorize` is the check that counts (other systems may publish requests too); the gateway
calls `allowed_actions` with the very same rules to show which buttons work and why not.
This module and `device_views` depend on `ssp_contracts` only, so both can move there
unchanged if the gateway should not depend on this service.

Rules run in a fixed order and the first that refuses decides; each refusal has a stable code.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from ssp_contracts.capabilities import PIN_REQUIRED, capability
from ssp_contracts.commands import CommandAuthorized, CommandParams, CommandRequested
from ssp_contracts.enums import ACTION_PERMISSION, Action, Permission, Platform

from permission_service.domain.device_views import DeviceView


class Requester(Protocol):
    """What the rules need of an account; `Account` and the contract `UserAccess` both fit."""

    @property
    def user_id(self) -> str: ...
    @property
    def org_id(self) -> str: ...
    @property
    def enabled(self) -> bool: ...
    @property
    def deleted(self) -> bool: ...


@dataclass(frozen=True)
class Decision:
    authorized: bool
    code: str  # stable machine code, e.g. "permission.missing"
    reason: str  # for people: the device owner, the admin, the audit trail


ALLOWED = Decision(True, "authorized", "The request is allowed.")


@dataclass(frozen=True)
class _Case:
    """One question to the rules. `params` None: not chosen yet (UI), parameter rules skip."""

    org_id: str
    user_id: str
    device_id: str
    action: Action
    requester: Requester | None
    permissions: frozenset[Permission]
    device: DeviceView | None
    params: CommandParams | None

    @property
    def known_device(self) -> DeviceView:
        assert self.device is not None  # _device_known runs before every rule that asks
        return self.device


def _deny(code: str, reason: str) -> Decision:
    return Decision(False, code, reason)


def _requester_known(c: _Case) -> Decision | None:
    r = c.requester
    if r is None or r.deleted or r.user_id != c.user_id or r.org_id != c.org_id:
        return _deny("requester.unknown", "The requesting account does not exist.")
    return None


def _requester_enabled(c: _Case) -> Decision | None:
    if c.requester is not None and not c.requester.enabled:
        return _deny("requester.disabled", "The requesting account is disabled.")
    return None


def _device_known(c: _Case) -> Decision | None:
    # Another org's device answers exactly like a missing one: no probing across tenants.
    if c.device is None or c.device.device_id != c.device_id or c.device.org_id != c.org_id:
        return _deny("device.unknown", "There is no such device.")
    return None


def _device_owned(c: _Case) -> Decision | None:
    if c.known_device.owner_user_id != c.user_id and Permission.ADMIN not in c.permissions:
        return _deny("device.not_owned", "The device is not linked to your account.")
    return None


def _permission_held(c: _Case) -> Decision | None:
    needed = ACTION_PERMISSION[c.action]
    if needed not in c.permissions:
        return _deny("permission.missing",
                     f"Your roles do not include the '{needed.value}' permission "
                     f"that '{c.action.value}' needs.")
    return None


def _capable(c: _Case) -> Decision | None:
    device = c.known_device
    can = capability(c.action, device.management_mode, lost_mode=device.lost_mode)
    if not can.supported:
        return _deny(can.code or "unsupported", can.reason or "This device cannot do that.")
    return None


def _lost_mode_contact(c: _Case) -> Decision | None:
    if c.params is None or c.action is not Action.ENABLE_LOST_MODE:
        return None
    if not (c.params.message or "").strip() and not (c.params.phone_number or "").strip():
        return _deny("params.lost_mode_contact_required",
                     "Lost mode needs a message or a phone number to show on the device.")
    return None


def _pin_given(c: _Case) -> Decision | None:
    if c.params is not None and needs_pin(c.action, c.known_device.platform) and not c.params.pin:
        return _deny("params.pin_required",
                     "Locking or erasing a Mac needs a 6-digit PIN that unlocks it again.")
    return None


def _not_wiped(c: _Case) -> Decision | None:
    if c.known_device.wipe_state == "wiped":
        return _deny("device.wiped", "The device has been wiped and accepts no more commands.")
    return None


def _enrolled(c: _Case) -> Decision | None:
    if not c.known_device.enrolled:
        return _deny("device.unenrolled", "The device is no longer enrolled in management.")
    return None


RULES: tuple[Callable[[_Case], Decision | None], ...] = (
    _requester_known, _requester_enabled, _device_known, _device_owned, _permission_held,
    _capable, _lost_mode_contact, _pin_given, _not_wiped, _enrolled,
)


def _decide(case: _Case) -> Decision:
    for rule in RULES:
        refusal = rule(case)
        if refusal is not None:
            return refusal
    return ALLOWED


def authorize(
    request: CommandRequested, requester: Requester | None,
    permissions: Iterable[Permission], device: DeviceView | None,
) -> Decision:
    """Decide `request`; `requester` is the account of `request.requested_by` (None: not found)."""
    return _decide(_Case(
        org_id=request.org_id, user_id=request.requested_by, device_id=request.device_id,
        action=request.action, requester=requester, permissions=frozenset(permissions),
        device=device, params=request.params,
    ))


@dataclass(frozen=True)
class ActionAvailability:
    action: Action
    allowed: bool
    code: str
    reason: str
    note: str | None = None  # what the user should know before running it
    needs: tuple[str, ...] = ()  # inputs to ask for: "pin", "message_or_phone_number"


def needs_pin(action: Action, platform: Platform) -> bool:
    return (action, platform) in PIN_REQUIRED


def allowed_actions(
    device: DeviceView, requester: Requester | None, permissions: Iterable[Permission]
) -> list[ActionAvailability]:
    """Every action for `device` as `requester` sees it; parameters are not judged (not chosen
    yet) but listed in `needs`. A request with those inputs gets the same answer from
    `authorize`.
    """
    held = frozenset(permissions)
    result = []
    for action in Action:
        decision = _decide(_Case(
            org_id=requester.org_id if requester else "", device_id=device.device_id,
            user_id=requester.user_id if requester else "", action=action,
            requester=requester, permissions=held, device=device, params=None,
        ))
        needs = (("pin",) if needs_pin(action, device.platform) else ()) + (
            ("message_or_phone_number",) if action is Action.ENABLE_LOST_MODE else ())
        note = capability(action, device.management_mode, lost_mode=device.lost_mode).note
        result.append(ActionAvailability(action, decision.authorized, decision.code,
                                         decision.reason, note, needs))
    return result


def to_command_authorized(
    request: CommandRequested, device: DeviceView, now: datetime
) -> CommandAuthorized:
    """The event for the platform family's topic once `authorize` said yes."""
    return CommandAuthorized(
        org_id=request.org_id, command_id=request.command_id, device_id=request.device_id,
        action=request.action, params=request.params, requested_by=request.requested_by,
        requested_at=request.requested_at, platform=device.platform,
        management_mode=device.management_mode, authorized_at=now,
    )
