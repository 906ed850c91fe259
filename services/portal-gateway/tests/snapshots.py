"""Device snapshots for unit tests."""

from __future__ import annotations

from ssp_contracts.capabilities import PLATFORM_OF_MODE
from ssp_contracts.devices import DeviceIdentifiers, DeviceSnapshot
from ssp_contracts.enums import ManagementMode


def snapshot(mode: ManagementMode = ManagementMode.IOS_SUPERVISED, **fields) -> DeviceSnapshot:
    return DeviceSnapshot(
        org_id="acme", device_id=fields.pop("device_id", "dev-1"), version=1,
        platform=PLATFORM_OF_MODE[mode], management_mode=mode,
        identifiers=DeviceIdentifiers(serial_number="C02XYZ"), name=fields.pop("name", "Phone"),
        **fields)
