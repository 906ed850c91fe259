"""The command policy: may this action run on this device, for this account, with these inputs.

One home for the rules. The permission-service's authorizer calls `authorize` for every
`CommandRequested` and its answer counts (other systems publish requests too); the gateway
calls `check`, `allowed_actions` and `param_problems` with the very same rules to answer fast
and to show which buttons work and why not. A request with the inputs `allowed_actions` lists
gets the same answer from `authorize`.

Rules run in a fixed order and the first that refuses decides, so the reason shown is the most
fundamental one: who asks, which device, the device's lifecycle (wiped, erase pending,
unenrolled), what the management mode can ever do, the account's permissions, where the
request came from, the device's current state (lost mode), and last the parameters.
Every refusal has one stable code from `REASONS` or the capability matrix (`unsupported.*`,
`state.*`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Protocol

from ssp_contracts.capabilities import PIN_REQUIRED, capability, is_supported_by_mode
from ssp_contracts.commands import CommandParams, CommandRequested
from ssp_contracts.device_models import mac_needs_find_my_pin
from ssp_contracts.devices import DeviceSnapshot, WipeState
from ssp_contracts.enums import ACTION_PERMISSION, Action, ManagementMode, Permission, Platform

# `CommandRequested.source` of a request the portal made. Only a request the gateway signed
# counts as one; any other is an integration request (see `DESTRUCTIVE_ACTIONS`).
PORTAL_SOURCE = "portal"
# Actions that destroy data, lock the owner out or end management (no later command reaches
# the device): from any system but the portal they need `Permission.INTEGRATION` on the
# requesting account, besides the action's own permission.
DESTRUCTIVE_ACTIONS: frozenset[Action] = frozenset(
    {Action.WIPE, Action.RESET_PASSCODE, Action.RETIRE})

# The command limits: counted state, not rules of one request, so `check` does not ask them.
# The gateway pre-checks them (its own counters); the permission-service enforces them on every
# request that passed the rules (docs/architecture.md, "Command limits"). Same codes both sides.
USER_RATE_LIMITED = "rate_limited.commands.user"
DEVICE_RATE_LIMITED = "rate_limited.commands.device"
BREAKER_OPEN = "wipe.circuit_open"
COMMAND_PENDING = "command.pending"

# Every refusal code of the rules below and of the limits above, and the words shown with it.
# The capability matrix adds its own `unsupported.*` and `state.*` codes with their words.
REASONS: dict[str, str] = {
    "requester.unknown": "The requesting account does not exist.",
    "requester.disabled": "The requesting account is disabled.",
    "device.unknown": "There is no such device.",
    "device.not_owned": "The device is not linked to your account.",
    "device.wiped": "The device has been erased.",
    "device.wipe_pending": "An erase of this device is in progress.",
    "device.unenrolled": "The device is no longer managed.",
    "permission.missing": "Your account is not allowed to do this.",
    "integration.permission_missing":
        "Wiping a device, resetting its passcode or removing it from management from another "
        "system needs the 'ssp.integration' permission on the requesting account.",
    "params.not_accepted": "The action does not use this parameter.",
    "params.message_or_phone_required":
        "Lost mode needs a message or a phone number to show on the screen.",
    "params.pin_required": "This Mac needs a 6-digit PIN for this action.",
    USER_RATE_LIMITED: "Too many commands from this account in a short time; try again later.",
    DEVICE_RATE_LIMITED: "Too many commands to this device in a short time; try again later.",
    BREAKER_OPEN:
        "Wipes are stopped for your organisation: more were requested in a short time than "
        "the configured limit allows. An administrator can reset this.",
    COMMAND_PENDING: "The same action is already pending on this device.",
}

_LOST_MODE_FIELDS = frozenset(
    {"message", "phone_number", "footnote", "email", "street_address", "organization"})
# The parameters each action takes (any other given parameter is refused).
ACCEPTED_PARAMS: dict[Action, frozenset[str]] = {
    Action.ENABLE_LOST_MODE: _LOST_MODE_FIELDS,
    Action.DISABLE_LOST_MODE: frozenset(),
    Action.LOCATE: frozenset(),
    Action.WIPE: frozenset({"pin"}),
    Action.LOCK: frozenset({"message", "phone_number", "pin"}),
    Action.RESET_PASSCODE: frozenset(),
    Action.REFRESH: frozenset(),
    Action.RETIRE: frozenset(),
}


class Requester(Protocol):
    """What the rules need of an account; the permission-service's `Account`, the contract
    `UserAccess` and the gateway's signed-in caller all fit."""

    @property
    def user_id(self) -> str: ...
    @property
    def org_id(self) -> str: ...
    @property
    def enabled(self) -> bool: ...
    @property
    def deleted(self) -> bool: ...


@dataclass(frozen=True)
class DeviceFacts:
    """The device facts the rules need (a `DeviceSnapshot` from `ssp.devices`, reduced)."""

    device_id: str
    org_id: str
    owner_user_id: str | None
    platform: Platform
    management_mode: ManagementMode
    lost_mode: bool = False
    enrolled: bool = True
    wipe_state: WipeState = "none"
    model: str | None = None  # as reported, e.g. "MacBookAir10,1": decides the Mac PIN

    @classmethod
    def from_snapshot(cls, snapshot: DeviceSnapshot) -> DeviceFacts:
        return cls(
            device_id=snapshot.device_id, org_id=snapshot.org_id,
            owner_user_id=snapshot.owner.user_id if snapshot.owner else None,
            platform=snapshot.platform, management_mode=snapshot.management_mode,
            lost_mode=snapshot.lost_mode, enrolled=snapshot.enrolled,
            wipe_state=snapshot.wipe_state, model=snapshot.model,
        )


@dataclass(frozen=True)
class Decision:
    authorized: bool
    code: str  # stable machine code, e.g. "permission.missing"
    reason: str  # for people: the device owner, the admin, the audit trail


ALLOWED = Decision(True, "authorized", "The request is allowed.")


@dataclass(frozen=True)
class ParamProblem:
    field: str  # e.g. "params.pin"
    code: str
    message: str


@dataclass(frozen=True)
class Question:
    """One question to the rules. `params` None: not chosen yet (UI), parameter rules skip.
    `from_portal`: the gateway vouches for the request (it signed it)."""

    org_id: str
    user_id: str
    device_id: str
    action: Action
    requester: Requester | None
    permissions: frozenset[Permission]
    device: DeviceFacts | None
    params: CommandParams | None = None
    from_portal: bool = True

    @property
    def known_device(self) -> DeviceFacts:
        assert self.device is not None  # _device_known runs before every rule that asks
        return self.device


def _deny(code: str) -> Decision:
    return Decision(False, code, REASONS[code])


def _requester_known(q: Question) -> Decision | None:
    r = q.requester
    if r is None or r.deleted or r.user_id != q.user_id or r.org_id != q.org_id:
        return _deny("requester.unknown")
    return None


def _requester_enabled(q: Question) -> Decision | None:
    if q.requester is not None and not q.requester.enabled:
        return _deny("requester.disabled")
    return None


def _device_known(q: Question) -> Decision | None:
    # Another org's device answers exactly like a missing one: no probing across tenants.
    if q.device is None or q.device.device_id != q.device_id or q.device.org_id != q.org_id:
        return _deny("device.unknown")
    return None


def _device_owned(q: Question) -> Decision | None:
    if q.known_device.owner_user_id != q.user_id and Permission.ADMIN not in q.permissions:
        return _deny("device.not_owned")
    return None


def _device_in_service(q: Question) -> Decision | None:
    # A pending erase blocks everything too: the device is about to lose what any other
    # command would change, and a second wipe would only repeat the first.
    device = q.known_device
    if device.wipe_state == "wiped":
        return _deny("device.wiped")
    if device.wipe_state == "pending":
        return _deny("device.wipe_pending")
    if not device.enrolled:
        return _deny("device.unenrolled")
    return None


def _supported_by_mode(q: Question) -> Decision | None:
    mode = q.known_device.management_mode
    if not is_supported_by_mode(q.action, mode):
        can = capability(q.action, mode)
        return Decision(False, can.code or "unsupported", can.reason or "Not supported.")
    return None


def _permission_held(q: Question) -> Decision | None:
    if ACTION_PERMISSION[q.action] not in q.permissions:
        return _deny("permission.missing")
    return None


def _integration_allowed(q: Question) -> Decision | None:
    if (not q.from_portal and q.action in DESTRUCTIVE_ACTIONS
            and Permission.INTEGRATION not in q.permissions):
        return _deny("integration.permission_missing")
    return None


def _possible_now(q: Question) -> Decision | None:
    device = q.known_device
    can = capability(q.action, device.management_mode, lost_mode=device.lost_mode)
    if not can.supported:
        return Decision(False, can.code or "unsupported", can.reason or "Not possible now.")
    return None


def _params_fit(q: Question) -> Decision | None:
    if q.params is None:
        return None
    device = q.known_device
    problems = param_problems(q.action, device.platform, q.params, model=device.model)
    if problems:
        return Decision(False, problems[0].code, problems[0].message)
    return None


RULES: tuple[Callable[[Question], Decision | None], ...] = (
    _requester_known, _requester_enabled, _device_known, _device_owned, _device_in_service,
    _supported_by_mode, _permission_held, _integration_allowed, _possible_now, _params_fit,
)


def check(question: Question) -> Decision:
    """The first refusal of the rules, or `ALLOWED`."""
    for rule in RULES:
        refusal = rule(question)
        if refusal is not None:
            return refusal
    return ALLOWED


def authorize(
    request: CommandRequested, requester: Requester | None,
    permissions: Iterable[Permission], device: DeviceFacts | None, *, from_portal: bool,
) -> Decision:
    """Decide `request`; `requester` is the account of `request.requested_by` (None: not
    found); `from_portal`: the request carries a valid gateway signature."""
    return check(Question(
        org_id=request.org_id, user_id=request.requested_by, device_id=request.device_id,
        action=request.action, requester=requester, permissions=frozenset(permissions),
        device=device, params=request.params, from_portal=from_portal,
    ))


def needs_pin(action: Action, platform: Platform, model: str | None = None) -> bool:
    """Whether `action` on a device of `platform` and `model` (None: unknown) needs a PIN:
    the PIN is optional in Apple's schema, so only where the model needs it
    (`mac_needs_find_my_pin`); a PIN given where it is not needed is still sent."""
    return (action, platform) in PIN_REQUIRED and mac_needs_find_my_pin(model)


def _given(params: CommandParams) -> set[str]:
    return {name for name, value in params.model_dump().items()
            if value is not None and str(value).strip() != ""}


def param_problems(action: Action, platform: Platform, params: CommandParams,
                   model: str | None = None) -> list[ParamProblem]:
    """Every problem of `params` for `action` on `platform` and `model` (None: unknown); the
    first one decides a request."""
    given = _given(params)
    problems = [
        ParamProblem(f"params.{name}", "params.not_accepted",
                     f"'{name}' is not used by {action.value}.")
        for name in sorted(given - ACCEPTED_PARAMS[action])
    ]
    if action is Action.ENABLE_LOST_MODE and not given & {"message", "phone_number"}:
        problems.append(ParamProblem("params.message", "params.message_or_phone_required",
                                     REASONS["params.message_or_phone_required"]))
    if needs_pin(action, platform, model) and "pin" not in given:
        problems.append(ParamProblem("params.pin", "params.pin_required",
                                     REASONS["params.pin_required"]))
    return problems


@dataclass(frozen=True)
class ActionAvailability:
    action: Action
    allowed: bool
    code: str
    reason: str
    note: str | None = None  # what the user should know before running it
    needs: tuple[str, ...] = ()  # inputs to ask for: "pin", "message_or_phone_number"


def allowed_actions(
    device: DeviceFacts, requester: Requester | None, permissions: Iterable[Permission]
) -> list[ActionAvailability]:
    """Every action for `device` as `requester` sees it in the portal; parameters are not
    judged (not chosen yet) but listed in `needs`."""
    held = frozenset(permissions)
    result = []
    for action in Action:
        decision = check(Question(
            org_id=requester.org_id if requester else "", device_id=device.device_id,
            user_id=requester.user_id if requester else "", action=action,
            requester=requester, permissions=held, device=device,
        ))
        needs = (("pin",) if needs_pin(action, device.platform, device.model) else ()) + (
            ("message_or_phone_number",) if action is Action.ENABLE_LOST_MODE else ())
        note = capability(action, device.management_mode, lost_mode=device.lost_mode).note
        result.append(ActionAvailability(action, decision.authorized, decision.code,
                                         decision.reason, note, needs))
    return result
