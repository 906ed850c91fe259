"""The authorizer: every rule alone rejects an otherwise authorized request, in a fixed order.

Each rule test starts from a request that is fully authorized (asserted) and changes exactly
one thing.
"""

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

import pytest
from permission_service.domain.accounts import Account
from pydantic import ValidationError
from ssp_contracts.commands import CommandParams, CommandRequested
from ssp_contracts.enums import Action, ManagementMode, Permission, Platform
from ssp_contracts.policy import Decision, DeviceFacts, authorize

NOW = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
EVERY_SSP = frozenset(
    p for p in Permission if p not in {Permission.ADMIN, Permission.INTEGRATION})
M = ManagementMode


@dataclass(frozen=True)
class Case:
    request: CommandRequested
    requester: Account | None
    permissions: frozenset[Permission]
    device: DeviceFacts | None
    from_portal: bool = True

    def decide(self) -> Decision:
        return authorize(self.request, self.requester, self.permissions, self.device,
                         from_portal=self.from_portal)

    def with_request(self, **changes: object) -> "Case":
        return replace(self, request=self.request.model_copy(update=changes))

    def with_params(self, **changes: object) -> "Case":
        return self.with_request(params=self.request.params.model_copy(update=changes))

    def with_device(self, **changes: Any) -> "Case":
        assert self.device is not None
        return replace(self, device=replace(self.device, **changes))

    def with_requester(self, **changes: object) -> "Case":
        assert self.requester is not None
        return replace(self, requester=self.requester.model_copy(update=changes))


def authorized_case(
    action: Action = Action.LOCK, mode: ManagementMode = M.IOS_SUPERVISED,
    platform: Platform = Platform.IOS, lost_mode: bool = False, **params: str,
) -> Case:
    case = Case(
        request=CommandRequested(
            org_id="acme", command_id="cmd-1", device_id="dev-1", action=action,
            params=CommandParams(**params), requested_by="u-1", requested_at=NOW),
        requester=Account(user_id="u-1", org_id="acme", username="alice"),
        permissions=EVERY_SSP,
        device=DeviceFacts(device_id="dev-1", org_id="acme", owner_user_id="u-1",
                           platform=platform, management_mode=mode, lost_mode=lost_mode),
    )
    assert case.decide().authorized, case.decide()
    return case


def lost_mode_case() -> Case:
    return authorized_case(Action.ENABLE_LOST_MODE, message="Please call me")


def mac_case(action: Action = Action.LOCK) -> Case:
    return authorized_case(action, M.MACOS, Platform.MACOS, pin="123456")


def refused(case: Case, code: str) -> None:
    decision = case.decide()
    assert (decision.authorized, decision.code) == (False, code), decision
    assert decision.reason


def test_base_case_is_authorized():
    assert authorized_case().decide() == Decision(True, "authorized", "The request is allowed.")


def test_unknown_requester():
    refused(replace(authorized_case(), requester=None), "requester.unknown")


def test_deleted_requester():
    refused(authorized_case().with_requester(deleted=True), "requester.unknown")


def test_requester_of_another_org():
    refused(authorized_case().with_requester(org_id="globex"), "requester.unknown")


def test_account_that_is_not_the_requester():
    refused(authorized_case().with_requester(user_id="u-2"), "requester.unknown")


def test_disabled_requester():
    refused(authorized_case().with_requester(enabled=False), "requester.disabled")


def test_unknown_device():
    refused(replace(authorized_case(), device=None), "device.unknown")


def test_device_of_another_org_looks_unknown():
    refused(authorized_case().with_device(org_id="globex"), "device.unknown")


def test_device_of_another_user():
    refused(authorized_case().with_device(owner_user_id="u-2"), "device.not_owned")


def test_unlinked_device():
    refused(authorized_case().with_device(owner_user_id=None), "device.not_owned")


def test_admin_may_act_on_devices_of_others():
    case = replace(authorized_case(), permissions=EVERY_SSP | {Permission.ADMIN})
    assert case.with_device(owner_user_id="u-2").decide().authorized


def test_missing_permission():
    case = authorized_case()
    refused(replace(case, permissions=case.permissions - {Permission.LOCK}),
            "permission.missing")


def test_unsupported_by_management_mode():
    case = authorized_case(Action.RESET_PASSCODE)
    refused(case.with_device(management_mode=M.IOS_USER_ENROLLMENT),
            "unsupported.passcode_user_enrollment")


def test_unsupported_in_current_device_state():
    case = authorized_case(Action.LOCATE, lost_mode=True)
    refused(case.with_device(lost_mode=False), "state.not_in_lost_mode")


def test_lost_mode_needs_a_message_or_phone_number():
    refused(lost_mode_case().with_params(message=None), "params.message_or_phone_required")
    refused(lost_mode_case().with_params(message="   "), "params.message_or_phone_required")
    assert lost_mode_case().with_params(message=None, phone_number="+49 30 1234").decide() \
        .authorized


@pytest.mark.parametrize("action", [Action.LOCK, Action.WIPE])
def test_mac_lock_and_wipe_need_a_pin(action: Action):
    refused(mac_case(action).with_params(pin=None), "params.pin_required")


def test_wiped_device_accepts_nothing():
    refused(authorized_case().with_device(wipe_state="wiped"), "device.wiped")


def test_pending_wipe_blocks_every_command():
    refused(authorized_case().with_device(wipe_state="pending"), "device.wipe_pending")
    refused(mac_case(Action.WIPE).with_device(wipe_state="pending"), "device.wipe_pending")


def test_parameters_an_action_does_not_use_are_refused():
    refused(authorized_case(Action.REFRESH).with_params(message="hello"), "params.not_accepted")
    refused(mac_case(Action.WIPE).with_params(message="hello"), "params.not_accepted")


def test_a_pin_of_other_scripts_digits_never_reaches_the_rules():
    # Python's and pydantic's `\d` match Arabic-Indic digits; a Mac must only get ASCII ones.
    for pin in ("١٢٣٤٥٦", "\uff11\uff12\uff13\uff14\uff15\uff16", "12345", "1234567", "12345a"):
        with pytest.raises(ValidationError):
            CommandParams(pin=pin)
    assert CommandParams(pin="012345").pin == "012345"


@pytest.mark.parametrize("action", [Action.WIPE, Action.RESET_PASSCODE])
def test_destructive_actions_from_another_system_need_the_integration_permission(
        action: Action):
    case = authorized_case(action)
    refused(replace(case, from_portal=False), "integration.permission_missing")
    assert replace(case, from_portal=False,
                   permissions=case.permissions | {Permission.INTEGRATION}).decide().authorized


def test_other_actions_from_another_system_need_only_their_own_permission():
    assert replace(authorized_case(Action.LOCK), from_portal=False).decide().authorized


def test_unenrolled_device():
    refused(authorized_case().with_device(enrolled=False), "device.unenrolled")


Break = Callable[[Case], Case]
ORDER_LOST_MODE: list[tuple[str, Break]] = [
    ("requester.unknown", lambda c: c.with_requester(deleted=True)),
    ("requester.disabled", lambda c: c.with_requester(enabled=False)),
    ("device.unknown", lambda c: c.with_request(device_id="dev-other")),
    ("device.unknown", lambda c: c.with_device(org_id="globex")),
    ("device.not_owned", lambda c: c.with_device(owner_user_id="u-2")),
    ("device.wiped", lambda c: c.with_device(wipe_state="wiped")),
    ("device.wipe_pending", lambda c: c.with_device(wipe_state="pending")),
    ("device.unenrolled", lambda c: c.with_device(enrolled=False)),
    ("unsupported.lost_mode_ios", lambda c: c.with_device(
        management_mode=M.IOS_DEVICE_ENROLLMENT)),
    ("permission.missing", lambda c: replace(c, permissions=frozenset({Permission.VIEW}))),
    ("state.in_lost_mode", lambda c: c.with_device(lost_mode=True)),
    ("params.not_accepted", lambda c: c.with_params(pin="123456")),
    ("params.message_or_phone_required", lambda c: c.with_params(message=None)),
]
ORDER_MAC_WIPE: list[tuple[str, Break]] = [
    ("device.not_owned", lambda c: c.with_device(owner_user_id=None)),
    ("device.wiped", lambda c: c.with_device(wipe_state="wiped")),
    ("device.unenrolled", lambda c: c.with_device(enrolled=False)),
    ("permission.missing", lambda c: replace(c, permissions=frozenset({Permission.VIEW}))),
    ("integration.permission_missing", lambda c: replace(c, from_portal=False)),
    ("params.not_accepted", lambda c: c.with_params(message="hello")),
    ("params.pin_required", lambda c: c.with_params(pin=None)),
]


@pytest.mark.parametrize(("base", "order"), [
    (lost_mode_case, ORDER_LOST_MODE), (lambda: mac_case(Action.WIPE), ORDER_MAC_WIPE),
], ids=["lost_mode", "mac_wipe"])
def test_rules_apply_in_order(base: Callable[[], Case], order: list[tuple[str, Break]]):
    # Break everything from rule i on: rule i must be the one that answers.
    for i, (code, _) in enumerate(order):
        case = base()
        for _, breaking in reversed(order[i:]):
            case = breaking(case)
        assert case.decide().code == code, (i, case.decide())
