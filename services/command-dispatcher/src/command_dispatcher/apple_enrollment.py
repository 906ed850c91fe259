"""What Apple check-ins and answers mean for the registry (pure: no I/O).

An Apple device's id in this system is its UDID (or, for User Enrollment, its EnrollmentID),
so every message names its device without a lookup."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from ssp_contracts.devices import DeviceIdentifiers, DeviceInventory, DeviceReported
from ssp_contracts.enums import DeviceReportKind, ManagementMode, Platform

from command_dispatcher.apple.checkin import Authenticate

_INVENTORY_FIELDS = frozenset(DeviceInventory.model_fields)
_IDENTIFIER_FIELDS = frozenset(DeviceIdentifiers.model_fields)


def platform_and_mode(auth: Authenticate) -> tuple[Platform, ManagementMode]:
    """Authenticate does not say whether a device is supervised: until DeviceInformation answers
    `IsSupervised`, an iPhone counts as unsupervised, which offers the fewest actions."""
    names = " ".join(filter(None, (auth.product_name, auth.model_name, auth.model))).lower()
    if "mac" in names:
        return Platform.MACOS, ManagementMode.MACOS
    if auth.udid is None and auth.enrollment_id is not None:
        return Platform.IOS, ManagementMode.IOS_USER_ENROLLMENT
    return Platform.IOS, ManagementMode.IOS_DEVICE_ENROLLMENT


def mode_from_inventory(current: ManagementMode, responses: dict[str, Any]) -> ManagementMode:
    supervised = responses.get("IsSupervised")
    if current in (ManagementMode.IOS_DEVICE_ENROLLMENT, ManagementMode.IOS_SUPERVISED) and \
            isinstance(supervised, bool):
        return ManagementMode.IOS_SUPERVISED if supervised else ManagementMode.IOS_DEVICE_ENROLLMENT
    return current


def report(kind: DeviceReportKind, *, org_id: str, device_id: str, platform: Platform,
           mode: ManagementMode, now: datetime, fields: dict[str, Any] | None = None,
           ) -> DeviceReported:
    """A DeviceReported with `fields` split into inventory and identifiers."""
    values = {k: v for k, v in (fields or {}).items() if v is not None}
    return DeviceReported(
        org_id=org_id, report_id=str(uuid.uuid4()), device_id=device_id, kind=kind,
        platform=platform, management_mode=mode, occurred_at=now,
        identifiers=DeviceIdentifiers(**{k: v for k, v in values.items()
                                         if k in _IDENTIFIER_FIELDS}),
        inventory=DeviceInventory(**{k: v for k, v in values.items() if k in _INVENTORY_FIELDS}),
    )


def authenticate_fields(auth: Authenticate) -> dict[str, Any]:
    return {"udid": auth.device_identifier, "serial_number": auth.serial_number,
            "imei": auth.imei, "name": auth.device_name,
            "model": auth.model_name or auth.product_name, "os_version": auth.os_version}
