"""The matrix follows the protocol reference, cell by cell for the cases users meet most."""

import pytest
from ssp_contracts.capabilities import (
    FAMILY_OF_PLATFORM,
    PLATFORM_OF_MODE,
    capability,
    is_supported_by_mode,
)
from ssp_contracts.enums import Action as A
from ssp_contracts.enums import ManagementMode as M
from ssp_contracts.enums import PlatformFamily


@pytest.mark.parametrize(("action", "mode", "supported"), [
    (A.ENABLE_LOST_MODE, M.IOS_SUPERVISED, True),
    (A.ENABLE_LOST_MODE, M.IOS_DEVICE_ENROLLMENT, False),
    (A.ENABLE_LOST_MODE, M.MACOS, False),
    (A.ENABLE_LOST_MODE, M.ANDROID_FULLY_MANAGED, True),
    (A.ENABLE_LOST_MODE, M.ANDROID_WORK_PROFILE_PERSONAL, False),
    (A.ENABLE_LOST_MODE, M.ANDROID_WORK_PROFILE_COMPANY, True),
    (A.ENABLE_LOST_MODE, M.WINDOWS, False),
    (A.WIPE, M.IOS_USER_ENROLLMENT, False),
    (A.WIPE, M.IOS_DEVICE_ENROLLMENT, True),
    (A.WIPE, M.MACOS, True),
    (A.WIPE, M.WINDOWS, True),
    (A.LOCK, M.WINDOWS, False),
    (A.LOCK, M.IOS_USER_ENROLLMENT, True),
    (A.RESET_PASSCODE, M.MACOS, False),
    (A.RESET_PASSCODE, M.ANDROID_FULLY_MANAGED, True),
    # RemoteLock's PIN reset is documented for Windows 10 Mobile only (issue 18, item 11).
    (A.RESET_PASSCODE, M.WINDOWS, False),
    (A.LOCATE, M.WINDOWS, True),
    (A.LOCATE, M.ANDROID_FULLY_MANAGED, False),
    (A.LOCATE, M.MACOS, False),
    # Apple's device.lock.yaml / device.erase.yaml: macOS "userenrollment: mode: forbidden".
    (A.LOCK, M.MACOS_USER_ENROLLMENT, False),
    (A.WIPE, M.MACOS_USER_ENROLLMENT, False),
    (A.REFRESH, M.MACOS_USER_ENROLLMENT, True),
])
def test_static_support(action, mode, supported):
    assert is_supported_by_mode(action, mode) is supported
    cap = capability(action, mode, lost_mode=action is A.DISABLE_LOST_MODE)
    if not supported:
        assert not cap.supported and cap.reason and cap.code.startswith("unsupported.")


def test_apple_locates_only_in_lost_mode():
    off = capability(A.LOCATE, M.IOS_SUPERVISED, lost_mode=False)
    assert not off.supported and off.code == "state.not_in_lost_mode"
    assert capability(A.LOCATE, M.IOS_SUPERVISED, lost_mode=True).supported


def test_lost_mode_toggles_follow_the_state():
    assert not capability(A.ENABLE_LOST_MODE, M.IOS_SUPERVISED, lost_mode=True).supported
    assert not capability(A.DISABLE_LOST_MODE, M.IOS_SUPERVISED, lost_mode=False).supported
    assert capability(A.DISABLE_LOST_MODE, M.IOS_SUPERVISED, lost_mode=True).supported


def test_refresh_works_everywhere_and_every_mode_has_a_family():
    for mode in M:
        assert capability(A.REFRESH, mode).supported
        assert FAMILY_OF_PLATFORM[PLATFORM_OF_MODE[mode]] in PlatformFamily


def test_supported_actions_explain_caveats_where_users_need_them():
    assert "work profile" in capability(A.WIPE, M.ANDROID_WORK_PROFILE_PERSONAL).note
