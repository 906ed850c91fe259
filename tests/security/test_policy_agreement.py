"""The gateway's pre-check and the permission-service's authorizer never disagree.

Both ask `ssp_contracts.policy`; this runs the two entry points over every action, management
mode (and so platform), permission set, ownership and device state, with parameters that are
right, missing or not accepted, and compares the answer: allowed, or refused with which code.
No stack needed.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from permission_service.domain.accounts import Account
from portal_gateway.domain.access import Caller
from portal_gateway.domain.actions import action_availability, require_available
from portal_gateway.domain.errors import Conflict, Forbidden, ValidationFailed
from ssp_contracts.capabilities import PLATFORM_OF_MODE
from ssp_contracts.commands import CommandParams, CommandRequested
from ssp_contracts.devices import DeviceOwner, DeviceSnapshot
from ssp_contracts.enums import Action, LinkSource, ManagementMode, Permission
from ssp_contracts.policy import DeviceFacts, authorize, needs_pin

NOW = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
PARAMS = {
    "right": lambda action, needs: CommandParams(
        message="Please call me" if "message_or_phone_number" in needs else None,
        pin="123456" if "pin" in needs else None),
    "missing": lambda action, needs: CommandParams(),
    "not_accepted": lambda action, needs: CommandParams(
        pin="123456" if action is Action.ENABLE_LOST_MODE else None,
        footnote=None if action is Action.ENABLE_LOST_MODE else "x"),
}


def gateway_answer(device: DeviceSnapshot, caller: Caller, action: Action,
                   params: CommandParams) -> str:
    try:
        require_available(device, caller, action, params)
    except Forbidden:
        return "permission.missing"
    except Conflict as refused:
        return str(refused.extra["reason_code"])
    except ValidationFailed as invalid:
        return invalid.problems[0].code
    return "authorized"


@settings(max_examples=3000, deadline=None)
@given(
    action=st.sampled_from(list(Action)), mode=st.sampled_from(list(ManagementMode)),
    permissions=st.frozensets(st.sampled_from(list(Permission))),
    owner=st.sampled_from(["u-1", "u-2", None]), lost_mode=st.booleans(),
    enrolled=st.booleans(), wipe_state=st.sampled_from(["none", "pending", "wiped"]),
    params=st.sampled_from(sorted(PARAMS)),
    # a Mac's model decides whether it needs a PIN: Apple silicon, T2 Intel, older Intel, unknown
    model=st.sampled_from(["MacBookAir10,1", "MacBookPro15,1", "MacBookPro14,1", None]),
)
def test_gateway_and_authorizer_agree(action, mode, permissions, owner, lost_mode, enrolled,
                                      wipe_state, params, model):
    device = DeviceSnapshot(
        org_id="acme", device_id="dev-1", version=1, platform=PLATFORM_OF_MODE[mode], model=model,
        management_mode=mode, lost_mode=lost_mode, enrolled=enrolled, wipe_state=wipe_state,
        owner=None if owner is None else DeviceOwner(user_id=owner, linked_at=NOW,
                                                     source=LinkSource.MANUAL))
    caller = Caller(user_id="u-1", org_id="acme", username="alice", permissions=permissions)
    account = Account(user_id="u-1", org_id="acme", username="alice")
    shown = action_availability(device, caller, permissions)
    needs = ({"pin"} if needs_pin(action, device.platform, device.model) else set()) | (
        {"message_or_phone_number"} if action is Action.ENABLE_LOST_MODE else set())
    chosen = PARAMS[params](action, needs)
    request = CommandRequested(
        org_id="acme", command_id="c-1", device_id="dev-1", action=action, params=chosen,
        requested_by="u-1", requested_at=NOW)

    decided = authorize(request, account, permissions, DeviceFacts.from_snapshot(device),
                        from_portal=True)
    assert gateway_answer(device, caller, action, chosen) == decided.code
    if params == "right":  # the buttons say what a request with the asked-for inputs gets
        button = "authorized" if action in shown.allowed else shown.unavailable[action].code
        assert button == decided.code



def _authorized(book, command_id: str, *, user: str, device: str,
                action: Action = Action.REFRESH, finished: bool = True) -> None:
    from ssp_contracts.commands import CommandStatusChanged
    from ssp_contracts.enums import CommandStatus

    for status, version in ((CommandStatus.AUTHORIZED, 2), (CommandStatus.ACKNOWLEDGED, 5)):
        if status is CommandStatus.ACKNOWLEDGED and not finished:
            return
        book.fold(CommandStatusChanged(
            org_id="acme", command_id=command_id, device_id=device, action=action,
            status=status, version=version, requested_by=user, occurred_at=NOW))


def test_the_gateway_and_the_authorizer_name_the_command_limits_alike():
    """The limits are counted on both sides (the gateway's pre-check, the authorizer's
    decision); a refusal must read the same whichever refused."""
    from permission_service.domain.command_limits import LimitBook
    from permission_service.settings import Settings as AuthoritySettings
    from portal_gateway.domain.errors import RateLimited
    from portal_gateway.domain.rate_limits import check_count, window_for
    from portal_gateway.domain.wipe_breaker import BREAKER_OPEN
    from portal_gateway.command_prechecks import pending_conflict
    from portal_gateway.policies import command_policy
    from portal_gateway.settings import Settings as GatewaySettings

    def gateway_code(rule) -> str:
        with pytest.raises(RateLimited) as refused:
            check_count(rule, window_for(rule, "s", NOW), rule.limit + 1, NOW)
        return refused.value.code

    def authority_code(book, user: str, device: str, action: Action = Action.REFRESH) -> str:
        refusal = book.refusal(org_id="acme", user_id=user, device_id=device, action=action,
                               now=NOW)
        assert refusal is not None
        return refusal.code

    gateway, policy = command_policy(GatewaySettings()), AuthoritySettings().limit_policy()
    per_user = LimitBook(policy)  # the user's commands, each to its own device
    for n in range(policy.user_limit):
        _authorized(per_user, f"c-{n}", user="u-1", device=f"d-{n}")
    assert authority_code(per_user, "u-1", "d-new") == gateway_code(gateway.per_user)
    per_device = LimitBook(policy)  # the device's commands, each from its own user
    for n in range(policy.device_limit):
        _authorized(per_device, f"c-{n}", user=f"u-{n}", device="d-1")
    assert authority_code(per_device, "u-new", "d-1") == gateway_code(gateway.per_device)
    pending = LimitBook(policy)
    _authorized(pending, "c-1", user="u-1", device="d-1", action=Action.LOCK, finished=False)
    assert authority_code(pending, "u-1", "d-1", Action.LOCK) == pending_conflict("c-1").code
    breaker = LimitBook(policy)
    for n in range(policy.wipe_max):
        _authorized(breaker, f"w-{n}", user=f"u-{n}", device=f"d-{n}", action=Action.WIPE)
    assert authority_code(breaker, "u-new", "d-new", Action.WIPE) == BREAKER_OPEN
