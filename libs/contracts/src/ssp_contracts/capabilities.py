"""The action x management-mode capability matrix: the single source for UI, gateway and authorizer.

Facts from Apple's device-management schema, the Android Management API and Windows CSP docs
(see the project's MDM protocol reference). A state-dependent condition (Apple locates only a
device in lost mode) is part of the answer, so every caller reasons the same way.
"""

from __future__ import annotations

from dataclasses import dataclass

from ssp_contracts.enums import Action, ManagementMode, Platform, PlatformFamily

M = ManagementMode
A = Action


@dataclass(frozen=True)
class Capability:
    supported: bool
    reason: str | None = None  # why not, in words a device owner understands
    code: str | None = None  # stable machine code for the reason
    note: str | None = None  # what the user should know when it is supported


_NOT = {
    "lost_mode_ios": "Lost mode needs a supervised iPhone or iPad.",
    "lost_mode_macos": "Macs have no MDM lost mode.",
    "lost_mode_android": "Lost mode needs a company-owned Android device.",
    "lost_mode_windows": "Windows has no MDM lost mode.",
    "locate_ios": "Locating needs a supervised iPhone or iPad in lost mode.",
    "locate_macos": "Macs cannot be located through MDM.",
    "locate_android": "The Android Management API has no command to locate a device.",
    "wipe_user_enrollment": "Devices enrolled with User Enrollment cannot be wiped.",
    "lock_macos_user_enrollment": "A Mac enrolled with User Enrollment cannot be locked.",
    "lock_windows": "Windows desktops cannot be locked remotely through MDM.",
    "passcode_user_enrollment": "The passcode of a User Enrollment device cannot be reset.",
    "passcode_macos": "A Mac's password cannot be reset through MDM.",
    # RemoteLock's LockAndResetPIN/NewPINValue is documented for Windows 10 Mobile only, and
    # LockAndRecoverPIN needs Microsoft's PIN reset service: no documented desktop PIN reset.
    "passcode_windows": "A Windows PC's PIN cannot be reset through MDM (Microsoft documents "
                        "it for Windows 10 Mobile only).",
    # AMAPI's deprovisioning guide: devices.delete and WIPE factory-reset a company-owned
    # device, and RELINQUISH_OWNERSHIP is for devices with a work profile only.
    "retire_android_fully_managed": "A fully managed Android device cannot leave management "
                                    "without a factory reset: wipe it instead.",
}

_UNSUPPORTED: dict[tuple[Action, ManagementMode], str] = {}
for _action in (A.ENABLE_LOST_MODE, A.DISABLE_LOST_MODE):
    for _mode, _why in (
        (M.IOS_DEVICE_ENROLLMENT, "lost_mode_ios"),
        (M.IOS_USER_ENROLLMENT, "lost_mode_ios"),
        (M.MACOS, "lost_mode_macos"),
        (M.MACOS_USER_ENROLLMENT, "lost_mode_macos"),
        (M.ANDROID_WORK_PROFILE_PERSONAL, "lost_mode_android"),
        (M.WINDOWS, "lost_mode_windows"),
    ):
        _UNSUPPORTED[(_action, _mode)] = _why
for _mode, _why in (
    (M.IOS_DEVICE_ENROLLMENT, "locate_ios"),
    (M.IOS_USER_ENROLLMENT, "locate_ios"),
    (M.MACOS, "locate_macos"),
    (M.MACOS_USER_ENROLLMENT, "locate_macos"),
    (M.ANDROID_FULLY_MANAGED, "locate_android"),
    (M.ANDROID_WORK_PROFILE_PERSONAL, "locate_android"),
    (M.ANDROID_WORK_PROFILE_COMPANY, "locate_android"),
):
    _UNSUPPORTED[(A.LOCATE, _mode)] = _why
_UNSUPPORTED[(A.WIPE, M.IOS_USER_ENROLLMENT)] = "wipe_user_enrollment"
_UNSUPPORTED[(A.LOCK, M.WINDOWS)] = "lock_windows"
_UNSUPPORTED[(A.RESET_PASSCODE, M.IOS_USER_ENROLLMENT)] = "passcode_user_enrollment"
_UNSUPPORTED[(A.RESET_PASSCODE, M.MACOS)] = "passcode_macos"
_UNSUPPORTED[(A.RESET_PASSCODE, M.WINDOWS)] = "passcode_windows"
# Apple's device.lock.yaml and device.erase.yaml: macOS `userenrollment: mode: forbidden`.
_UNSUPPORTED[(A.WIPE, M.MACOS_USER_ENROLLMENT)] = "wipe_user_enrollment"
_UNSUPPORTED[(A.LOCK, M.MACOS_USER_ENROLLMENT)] = "lock_macos_user_enrollment"
_UNSUPPORTED[(A.RESET_PASSCODE, M.MACOS_USER_ENROLLMENT)] = "passcode_macos"
_UNSUPPORTED[(A.RETIRE, M.ANDROID_FULLY_MANAGED)] = "retire_android_fully_managed"

# What removing a device from management takes away, per mode (the rest of the device stays).
_RETIRE_APPLE = ("Removes the management profile and what it installed (work apps, their "
                 "data, settings); everything else stays on the device.")
_RETIRE_NOTES: dict[ManagementMode, str] = {
    M.IOS_SUPERVISED: _RETIRE_APPLE,
    M.IOS_DEVICE_ENROLLMENT: _RETIRE_APPLE,
    M.IOS_USER_ENROLLMENT: _RETIRE_APPLE,
    M.MACOS: _RETIRE_APPLE,
    M.MACOS_USER_ENROLLMENT: _RETIRE_APPLE,
    M.ANDROID_WORK_PROFILE_PERSONAL:
        "Removes the work profile with its apps and data; personal data stays.",
    M.ANDROID_WORK_PROFILE_COMPANY:
        "Removes the work profile; the device becomes personally owned and keeps its "
        "personal apps and data.",
    M.WINDOWS: ("Removes the work account's management: its policies, certificates and work "
                "apps; your files stay."),
}

_NOTES: dict[tuple[Action, ManagementMode], str] = {
    (A.WIPE, M.ANDROID_WORK_PROFILE_PERSONAL):
        "Removes the work profile only; personal data stays.",
    (A.RESET_PASSCODE, M.ANDROID_WORK_PROFILE_PERSONAL): "Resets the work profile passcode.",
    (A.RESET_PASSCODE, M.IOS_SUPERVISED): "Removes the passcode; set a new one on the device.",
    (A.RESET_PASSCODE, M.IOS_DEVICE_ENROLLMENT):
        "Removes the passcode; set a new one on the device.",
    (A.LOCK, M.MACOS): "Locks the Mac with a 6-digit PIN that unlocks it again.",
    (A.WIPE, M.MACOS): "Needs a 6-digit PIN that unlocks the Mac after the erase.",
    **{(A.RETIRE, mode): note for mode, note in _RETIRE_NOTES.items()},
}


def capability(action: Action, mode: ManagementMode, *, lost_mode: bool = False) -> Capability:
    """Whether `action` can run on a device in `mode`, given whether it is in lost mode now."""
    why = _UNSUPPORTED.get((action, mode))
    if why is not None:
        return Capability(False, _NOT[why], code=f"unsupported.{why}")
    if action is A.LOCATE and mode is M.IOS_SUPERVISED and not lost_mode:
        return Capability(
            False, "Turn on lost mode first: an iPhone or iPad reports its location only then.",
            code="state.not_in_lost_mode",
        )
    if action is A.ENABLE_LOST_MODE and lost_mode:
        return Capability(False, "The device is already in lost mode.", code="state.in_lost_mode")
    if action is A.DISABLE_LOST_MODE and not lost_mode:
        return Capability(False, "The device is not in lost mode.", code="state.not_in_lost_mode")
    return Capability(True, note=_NOTES.get((action, mode)))


def is_supported_by_mode(action: Action, mode: ManagementMode) -> bool:
    """Static support, ignoring the device's current state (what a role could ever allow)."""
    return (action, mode) not in _UNSUPPORTED


PLATFORM_OF_MODE: dict[ManagementMode, Platform] = {
    M.IOS_SUPERVISED: Platform.IOS,
    M.IOS_DEVICE_ENROLLMENT: Platform.IOS,
    M.IOS_USER_ENROLLMENT: Platform.IOS,
    M.MACOS: Platform.MACOS,
    M.MACOS_USER_ENROLLMENT: Platform.MACOS,
    M.ANDROID_FULLY_MANAGED: Platform.ANDROID,
    M.ANDROID_WORK_PROFILE_PERSONAL: Platform.ANDROID,
    M.ANDROID_WORK_PROFILE_COMPANY: Platform.ANDROID,
    M.WINDOWS: Platform.WINDOWS,
}

FAMILY_OF_PLATFORM: dict[Platform, PlatformFamily] = {
    Platform.IOS: PlatformFamily.APPLE,
    Platform.MACOS: PlatformFamily.APPLE,
    Platform.ANDROID: PlatformFamily.ANDROID,
    Platform.WINDOWS: PlatformFamily.WINDOWS,
}

# Families whose queued commands can be canceled: an Apple command waits in the queue until the
# device fetches it, and handing it out is guarded against a cancel. Android commands go to
# Google the moment they are queued, and a Windows SyncML answer is written before its commands
# are marked sent, so for those two a cancel could report `canceled` for a command the device
# still gets: they refuse instead (reason code `cancel_refused.platform`).
CANCELABLE_FAMILIES: frozenset[PlatformFamily] = frozenset({PlatformFamily.APPLE})

# Actions that can need a PIN on a platform, checked by gateway and authorizer alike; whether
# this device needs it depends on its model (`policy.needs_pin`).
PIN_REQUIRED: frozenset[tuple[Action, Platform]] = frozenset(
    {(A.LOCK, Platform.MACOS), (A.WIPE, Platform.MACOS)}
)
