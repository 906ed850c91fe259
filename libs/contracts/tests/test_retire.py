"""Removing a device from management (retire): where it exists, who may, from where."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from ssp_contracts.capabilities import capability, is_supported_by_mode
from ssp_contracts.commands import CommandParams
from ssp_contracts.enums import (
    ACTION_PERMISSION,
    FULL_ACCESS_PERMISSIONS,
    SELF_SERVICE_PERMISSIONS,
    Action,
    ManagementMode,
    Permission,
    Platform,
)
from ssp_contracts.policy import (
    DESTRUCTIVE_ACTIONS,
    DeviceFacts,
    Question,
    allowed_actions,
    check,
    param_problems,
)

M = ManagementMode


@dataclass(frozen=True)
class Account:
    user_id: str = "u-1"
    org_id: str = "acme"
    enabled: bool = True
    deleted: bool = False


def _device(mode: ManagementMode = M.IOS_SUPERVISED, **facts) -> DeviceFacts:
    platform = {M.WINDOWS: Platform.WINDOWS, M.MACOS: Platform.MACOS}.get(
        mode, Platform.ANDROID if mode.value.startswith("android") else Platform.IOS)
    return DeviceFacts(device_id="d-1", org_id="acme", owner_user_id="u-1", platform=platform,
                       management_mode=mode, **facts)


def _ask(device: DeviceFacts, permissions, *, from_portal: bool = True):
    return check(Question(org_id="acme", user_id="u-1", device_id="d-1", action=Action.RETIRE,
                          requester=Account(), permissions=frozenset(permissions),
                          device=device, params=CommandParams(), from_portal=from_portal))


def test_retire_needs_its_own_permission_which_full_access_lacks():
    assert ACTION_PERMISSION[Action.RETIRE] is Permission.RETIRE
    assert Permission.RETIRE in SELF_SERVICE_PERMISSIONS  # it lets a user into the portal
    assert Permission.RETIRE not in FULL_ACCESS_PERMISSIONS
    assert FULL_ACCESS_PERMISSIONS == SELF_SERVICE_PERMISSIONS - {Permission.RETIRE}
    assert _ask(_device(), FULL_ACCESS_PERMISSIONS).code == "permission.missing"
    assert _ask(_device(), {Permission.VIEW, Permission.RETIRE}).authorized


@pytest.mark.parametrize("mode", [
    M.IOS_SUPERVISED, M.IOS_DEVICE_ENROLLMENT, M.IOS_USER_ENROLLMENT, M.MACOS,
    M.MACOS_USER_ENROLLMENT, M.ANDROID_WORK_PROFILE_PERSONAL, M.ANDROID_WORK_PROFILE_COMPANY,
    M.WINDOWS,
])
def test_every_mode_but_fully_managed_android_can_leave_management(mode):
    # Apple's profile.remove.yaml allows RemoveProfile in User Enrollment too.
    cap = capability(Action.RETIRE, mode)
    assert cap.supported and cap.note, mode
    assert _ask(_device(mode), {Permission.RETIRE}).authorized


def test_a_fully_managed_android_device_would_be_factory_reset_so_retire_is_refused():
    assert not is_supported_by_mode(Action.RETIRE, M.ANDROID_FULLY_MANAGED)
    decision = _ask(_device(M.ANDROID_FULLY_MANAGED), {Permission.RETIRE})
    assert decision.code == "unsupported.retire_android_fully_managed"
    assert "wipe" in decision.reason


def test_the_notes_say_what_stays_on_the_device():
    assert "personal data stays" in capability(Action.RETIRE, M.ANDROID_WORK_PROFILE_PERSONAL).note
    assert "personally owned" in capability(Action.RETIRE, M.ANDROID_WORK_PROFILE_COMPANY).note
    assert "files stay" in capability(Action.RETIRE, M.WINDOWS).note


def test_a_device_no_longer_managed_cannot_be_retired_again():
    assert _ask(_device(enrolled=False), {Permission.RETIRE}).code == "device.unenrolled"
    assert _ask(_device(wipe_state="pending"), {Permission.RETIRE}).code == \
        "device.wipe_pending"


def test_other_systems_need_the_integration_permission_to_retire():
    assert Action.RETIRE in DESTRUCTIVE_ACTIONS
    refused = _ask(_device(), {Permission.RETIRE}, from_portal=False)
    assert refused.code == "integration.permission_missing"
    assert _ask(_device(), {Permission.RETIRE, Permission.INTEGRATION},
                from_portal=False).authorized


def test_retire_takes_no_parameters():
    problems = param_problems(Action.RETIRE, Platform.IOS, CommandParams(message="bye"))
    assert [p.code for p in problems] == ["params.not_accepted"]


def test_the_portal_lists_retire_with_its_reason():
    listed = {a.action: a for a in allowed_actions(_device(), Account(), FULL_ACCESS_PERMISSIONS)}
    assert not listed[Action.RETIRE].allowed
    assert listed[Action.RETIRE].code == "permission.missing"
    granted = {a.action: a for a in allowed_actions(_device(), Account(), {Permission.RETIRE})}
    assert granted[Action.RETIRE].allowed and granted[Action.RETIRE].needs == ()
