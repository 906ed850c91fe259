"""What Apple check-ins and answers mean for the registry (pure: no I/O).

An Apple device's id in this system is its UDID (or, for User Enrollment, its EnrollmentID),
so every message names its device without a lookup."""

from __future__ import annotations

from typing import Any

from ssp_contracts.enums import ManagementMode, Platform

from command_dispatcher.apple.checkin import Authenticate
from command_dispatcher.device_reports import report

__all__ = ["authenticate_fields", "mode_from_inventory", "platform_and_mode", "report"]


def platform_and_mode(auth: Authenticate) -> tuple[Platform, ManagementMode]:
    """Authenticate does not say whether a device is supervised: until DeviceInformation answers
    `IsSupervised`, an iPhone counts as unsupervised, which offers the fewest actions.

    User Enrollment is told by its identifier: Apple's authenticate.yaml makes `UDID`
    "userenrollment: forbidden" and `EnrollmentID` "userenrollment: required" on iOS and macOS
    alike, so a Mac with an EnrollmentID and no UDID is a User Enrollment Mac (no lock, no
    erase: device.lock.yaml and device.erase.yaml forbid both there)."""
    names = " ".join(filter(None, (auth.product_name, auth.model_name, auth.model))).lower()
    user_enrollment = auth.udid is None and auth.enrollment_id is not None
    if "mac" in names:
        return Platform.MACOS, (ManagementMode.MACOS_USER_ENROLLMENT if user_enrollment
                                else ManagementMode.MACOS)
    if user_enrollment:
        return Platform.IOS, ManagementMode.IOS_USER_ENROLLMENT
    return Platform.IOS, ManagementMode.IOS_DEVICE_ENROLLMENT


def mode_from_inventory(current: ManagementMode, responses: dict[str, Any]) -> ManagementMode:
    supervised = responses.get("IsSupervised")
    if current in (ManagementMode.IOS_DEVICE_ENROLLMENT, ManagementMode.IOS_SUPERVISED) and \
            isinstance(supervised, bool):
        return ManagementMode.IOS_SUPERVISED if supervised else ManagementMode.IOS_DEVICE_ENROLLMENT
    return current


def authenticate_fields(auth: Authenticate) -> dict[str, Any]:
    return {"udid": auth.device_identifier, "serial_number": auth.serial_number,
            "imei": auth.imei, "name": auth.device_name,
            "model": auth.model_name or auth.product_name, "os_version": auth.os_version}
