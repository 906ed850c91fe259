"""Allowed and unavailable actions: device state, capability matrix, permissions, lost mode."""

from __future__ import annotations

import pytest
from portal_gateway.domain import actions
from portal_gateway.domain.access import Caller
from portal_gateway.domain.errors import Conflict, Forbidden, ValidationFailed
from ssp_contracts.commands import CommandParams
from ssp_contracts.devices import DeviceOwner
from ssp_contracts.enums import Action, LinkSource, ManagementMode, Permission

from .snapshots import snapshot as any_snapshot

ALL = frozenset(Permission)
A = Action
ALICE = Caller(user_id="u-1", org_id="acme", username="alice", permissions=ALL)


def snapshot(mode: ManagementMode = ManagementMode.IOS_SUPERVISED, **fields):
    """A device of ALICE's (the gateway shows a user only their own devices)."""
    owner = DeviceOwner(user_id="u-1", linked_at="2026-11-20T09:30:00Z",
                        source=LinkSource.MANUAL)
    return any_snapshot(mode, owner=owner, **fields)


def action_availability(device, permissions):
    return actions.action_availability(device, ALICE, permissions)


def require_available(device, permissions, action, params=None):
    caller = Caller(user_id="u-1", org_id="acme", username="alice",
                    permissions=frozenset(permissions))
    actions.require_available(device, caller, action, params)


def test_supervised_iphone_with_every_permission():
    available = action_availability(snapshot(ManagementMode.IOS_SUPERVISED), ALL)
    assert set(available.allowed) == {A.ENABLE_LOST_MODE, A.WIPE, A.LOCK, A.RESET_PASSCODE,
                                      A.REFRESH, A.RETIRE}
    assert available.unavailable[A.LOCATE].code == "state.not_in_lost_mode"
    assert available.unavailable[A.DISABLE_LOST_MODE].code == "state.not_in_lost_mode"


def test_lost_mode_flips_which_lost_mode_action_and_enables_locate():
    available = action_availability(snapshot(lost_mode=True), ALL)
    assert A.LOCATE in available.allowed and A.DISABLE_LOST_MODE in available.allowed
    assert available.unavailable[A.ENABLE_LOST_MODE].code == "state.in_lost_mode"


@pytest.mark.parametrize(("mode", "action", "code"), [
    (ManagementMode.MACOS, A.ENABLE_LOST_MODE, "unsupported.lost_mode_macos"),
    (ManagementMode.WINDOWS, A.LOCK, "unsupported.lock_windows"),
    (ManagementMode.IOS_USER_ENROLLMENT, A.WIPE, "unsupported.wipe_user_enrollment"),
    (ManagementMode.ANDROID_FULLY_MANAGED, A.LOCATE, "unsupported.locate_android"),
])
def test_platform_limits_come_from_the_capability_matrix(mode, action, code):
    assert action_availability(snapshot(mode), ALL).unavailable[action].code == code


def test_unsupported_is_reported_before_missing_permission():
    available = action_availability(snapshot(ManagementMode.MACOS), frozenset())
    assert available.unavailable[A.ENABLE_LOST_MODE].code == "unsupported.lost_mode_macos"
    assert available.unavailable[A.LOCK].code == "permission.missing"


def test_view_only_user_may_refresh_only():
    available = action_availability(snapshot(), {Permission.VIEW})
    assert available.allowed == (A.REFRESH,)
    assert available.reasons()["wipe"] == "Your account is not allowed to do this."


@pytest.mark.parametrize(("fields", "code"), [
    ({"wipe_state": "wiped"}, "device.wiped"),
    ({"wipe_state": "pending"}, "device.wipe_pending"),
    ({"enrolled": False}, "device.unenrolled"),
])
def test_gone_devices_allow_nothing(fields, code):
    available = action_availability(snapshot(**fields), ALL)
    assert available.allowed == ()
    assert {u.code for u in available.unavailable.values()} == {code}


def test_require_available_says_403_for_rights_and_409_for_state():
    with pytest.raises(Forbidden) as denied:
        require_available(snapshot(), frozenset(), A.LOCK)
    assert denied.value.code == "action.not_permitted"
    with pytest.raises(Conflict) as state:
        require_available(snapshot(), ALL, A.LOCATE)
    assert state.value.extra["reason_code"] == "state.not_in_lost_mode"
    require_available(snapshot(), ALL, A.LOCK)  # no error


def test_require_available_lists_every_parameter_problem_at_once():
    with pytest.raises(ValidationFailed) as err:
        require_available(snapshot(), ALL, A.ENABLE_LOST_MODE, CommandParams(pin="123456"))
    assert {(p.field, p.code) for p in err.value.problems} == {
        ("params.pin", "params.not_accepted"),
        ("params.message", "params.message_or_phone_required")}


def test_another_users_device_is_refused_unless_admin():
    other = any_snapshot()  # nobody's device
    with pytest.raises(Conflict) as err:
        require_available(other, ALL - {Permission.ADMIN}, A.LOCK)
    assert err.value.extra["reason_code"] == "device.not_owned"
    require_available(other, ALL, A.LOCK)  # an admin may
