"""`allowed_actions` (the UI's view) answers exactly as `authorize` does."""

from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st
from permission_service.domain.accounts import Account
from permission_service.domain.authorizer import to_command_authorized
from permission_service.domain.device_views import is_newer
from ssp_contracts.access import UserAccess
from ssp_contracts.capabilities import PLATFORM_OF_MODE
from ssp_contracts.commands import CommandParams, CommandRequested
from ssp_contracts.devices import DeviceOwner, DeviceSnapshot
from ssp_contracts.enums import Action, LinkSource, ManagementMode, Permission, Platform
from ssp_contracts.policy import DeviceFacts, allowed_actions, authorize

NOW = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
FULL_PARAMS = CommandParams(message="Please call me", pin="123456")


def params_for(action: Action, needs: tuple[str, ...]) -> CommandParams:
    """The inputs `allowed_actions` asks for, filled in."""
    return CommandParams(message="Please call me" if "message_or_phone_number" in needs else None,
                         pin="123456" if "pin" in needs else None)


def device(mode: ManagementMode = ManagementMode.IOS_SUPERVISED, **changes) -> DeviceFacts:
    fields = {"device_id": "dev-1", "org_id": "acme", "owner_user_id": "u-1",
              "platform": PLATFORM_OF_MODE[mode], "management_mode": mode, **changes}
    return DeviceFacts(**fields)


def by_action(view: DeviceFacts, permissions, requester=None) -> dict:
    requester = requester or Account(user_id="u-1", org_id="acme", username="alice")
    return {a.action: a for a in allowed_actions(view, requester, permissions)}


def test_read_only_user_may_only_refresh():
    actions = by_action(device(), {Permission.VIEW})
    assert [a for a, v in actions.items() if v.allowed] == [Action.REFRESH]
    assert actions[Action.WIPE].code == "permission.missing"


def test_reasons_and_inputs_for_a_mac():
    actions = by_action(device(ManagementMode.MACOS), {p for p in Permission})
    assert actions[Action.LOCK].allowed and actions[Action.LOCK].needs == ("pin",)
    assert actions[Action.LOCK].note
    assert actions[Action.LOCATE].code == "unsupported.locate_macos"
    assert by_action(device(), {Permission.LOST_MODE})[Action.ENABLE_LOST_MODE].needs == (
        "message_or_phone_number",)


def test_the_contract_user_access_can_be_the_requester():
    access = UserAccess(org_id="acme", user_id="u-1", version=1, username="alice",
                        enabled=False)
    assert {a.code for a in allowed_actions(device(), access, {Permission.VIEW})} == {
        "requester.disabled"}


def test_device_view_from_snapshot_and_authorized_event():
    snapshot = DeviceSnapshot(
        org_id="acme", device_id="dev-1", version=3, platform=Platform.MACOS,
        management_mode=ManagementMode.MACOS, lost_mode=False,
        owner=DeviceOwner(user_id="u-1", linked_at=NOW, source=LinkSource.MANUAL))
    view = DeviceFacts.from_snapshot(snapshot)
    assert view == device(ManagementMode.MACOS)
    assert is_newer(snapshot, None) and is_newer(snapshot, 2) and not is_newer(snapshot, 3)
    request = CommandRequested(org_id="acme", command_id="c-1", device_id="dev-1",
                               action=Action.LOCK, params=FULL_PARAMS, requested_by="u-1",
                               requested_at=NOW)
    event = to_command_authorized(request, view, NOW)
    assert (event.platform, event.management_mode, event.params.pin) == (
        Platform.MACOS, ManagementMode.MACOS, "123456")


@given(
    mode=st.sampled_from(list(ManagementMode)),
    lost_mode=st.booleans(), enrolled=st.booleans(),
    wipe_state=st.sampled_from(["none", "pending", "wiped"]),
    owner=st.sampled_from(["u-1", "u-2", None]), org=st.sampled_from(["acme", "globex"]),
    enabled=st.booleans(), permissions=st.frozensets(st.sampled_from(list(Permission))),
)
def test_allowed_actions_agree_with_authorize(
    mode, lost_mode, enabled, enrolled, wipe_state, owner, org, permissions
):
    view = device(mode, lost_mode=lost_mode, enrolled=enrolled, wipe_state=wipe_state,
                  owner_user_id=owner, org_id=org)
    requester = Account(user_id="u-1", org_id="acme", username="alice", enabled=enabled)
    for action, shown in by_action(view, permissions, requester).items():
        request = CommandRequested(org_id="acme", command_id="c-1", device_id="dev-1",
                                   action=action, params=params_for(action, shown.needs),
                                   requested_by="u-1", requested_at=NOW)
        decision = authorize(request, requester, permissions, view, from_portal=True)
        assert (shown.allowed, shown.code) == (decision.authorized, decision.code)
