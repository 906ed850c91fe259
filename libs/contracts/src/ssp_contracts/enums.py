"""Enumerations shared by every service; their values are the wire format."""

from enum import StrEnum


class Platform(StrEnum):
    IOS = "ios"  # iPhone and iPad (iPadOS)
    MACOS = "macos"
    ANDROID = "android"
    WINDOWS = "windows"


class PlatformFamily(StrEnum):
    """One command topic and one dispatcher consumer group per family."""

    APPLE = "apple"
    ANDROID = "android"
    WINDOWS = "windows"


class ManagementMode(StrEnum):
    IOS_SUPERVISED = "ios_supervised"
    IOS_DEVICE_ENROLLMENT = "ios_device_enrollment"  # unsupervised
    IOS_USER_ENROLLMENT = "ios_user_enrollment"  # BYOD
    MACOS = "macos"
    MACOS_USER_ENROLLMENT = "macos_user_enrollment"  # BYOD Mac: EnrollmentID, no UDID
    ANDROID_FULLY_MANAGED = "android_fully_managed"
    ANDROID_WORK_PROFILE_PERSONAL = "android_work_profile_personal"
    ANDROID_WORK_PROFILE_COMPANY = "android_work_profile_company"  # COPE
    WINDOWS = "windows"


class Action(StrEnum):
    ENABLE_LOST_MODE = "enable_lost_mode"
    DISABLE_LOST_MODE = "disable_lost_mode"
    LOCATE = "locate"
    WIPE = "wipe"
    LOCK = "lock"
    RESET_PASSCODE = "reset_passcode"
    REFRESH = "refresh"
    # Remove the device from management without wiping it (Intune's "retire"): Apple
    # RemoveProfile of the enrollment profile, Android devices.delete or RELINQUISH_OWNERSHIP,
    # Windows DMClient Unenroll.
    RETIRE = "retire"


class CommandStatus(StrEnum):
    REQUESTED = "requested"
    AUTHORIZED = "authorized"
    REJECTED = "rejected"
    QUEUED = "queued"
    SENT = "sent"
    ACKNOWLEDGED = "acknowledged"
    FAILED = "failed"
    EXPIRED = "expired"
    CANCELED = "canceled"

    @property
    def is_terminal(self) -> bool:
        return self in TERMINAL_STATUSES


TERMINAL_STATUSES = frozenset(
    {
        CommandStatus.REJECTED,
        CommandStatus.ACKNOWLEDGED,
        CommandStatus.FAILED,
        CommandStatus.EXPIRED,
        CommandStatus.CANCELED,
    }
)


class Permission(StrEnum):
    VIEW = "ssp.view"
    LOST_MODE = "ssp.lost_mode"
    LOCATE = "ssp.locate"
    WIPE = "ssp.wipe"
    LOCK = "ssp.lock"
    RESET_PASSCODE = "ssp.reset_passcode"
    RETIRE = "ssp.retire"
    ADMIN = "admin"
    # Lets another system (not the portal) wipe or reset the passcode in this account's name;
    # in no built-in role, and no self-service permission of its own.
    INTEGRATION = "ssp.integration"


SELF_SERVICE_PERMISSIONS = frozenset(
    p for p in Permission if p.value.startswith("ssp.") and p is not Permission.INTEGRATION)
# The built-in "Self service portal - full access" template. Removing a device from management
# is not in it: an admin grants `ssp.retire` through a custom role where the org wants it
# (Intune and Google likewise let admins switch device removal off).
FULL_ACCESS_PERMISSIONS = SELF_SERVICE_PERMISSIONS - {Permission.RETIRE}

# The permission each action needs. Refreshing details is part of viewing one's device.
ACTION_PERMISSION: dict[Action, Permission] = {
    Action.ENABLE_LOST_MODE: Permission.LOST_MODE,
    Action.DISABLE_LOST_MODE: Permission.LOST_MODE,
    Action.LOCATE: Permission.LOCATE,
    Action.WIPE: Permission.WIPE,
    Action.LOCK: Permission.LOCK,
    Action.RESET_PASSCODE: Permission.RESET_PASSCODE,
    Action.REFRESH: Permission.VIEW,
    Action.RETIRE: Permission.RETIRE,
}


class DeviceReportKind(StrEnum):
    ENROLLED = "enrolled"
    CHECKED_IN = "checked_in"
    INVENTORY = "inventory"
    UNENROLLED = "unenrolled"


class LinkSource(StrEnum):
    MANUAL = "manual"
    CSV = "csv"
    RESERVATION = "reservation"
