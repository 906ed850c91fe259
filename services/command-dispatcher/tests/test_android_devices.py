"""AMAPI Device resources mapped to DeviceReported fields."""

from __future__ import annotations

from datetime import UTC, datetime

from command_dispatcher.android.devices import management_mode, to_device_facts, to_device_reported
from ssp_contracts.enums import DeviceReportKind, ManagementMode, Platform

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def _device(**overrides) -> dict:
    device = {
        "name": "enterprises/LC01/devices/3f2a",
        "managementMode": "DEVICE_OWNER",
        "ownership": "COMPANY_OWNED",
        "state": "ACTIVE",
        "appliedState": "ACTIVE",
        "enrollmentTime": "2024-11-02T08:15:00Z",
        "lastStatusReportTime": "2025-03-01T11:42:10.123456789Z",
        "enrollmentTokenData": "ssp-reservation-42",
        "hardwareInfo": {"brand": "google", "manufacturer": "Google", "model": "Pixel 8",
                         "serialNumber": "3A1B2C"},
        "softwareInfo": {"androidVersion": "14", "securityPatchLevel": "2024-08-05"},
        "networkInfo": {"imei": "356938035643809", "wifiMacAddress": "02:00:00:00:00:00"},
        "memoryInfo": {"totalRam": "8589934592", "totalInternalStorage": "128000000000"},
        "memoryEvents": [
            {"eventType": "INTERNAL_STORAGE_MEASURED", "createTime": "2025-03-01T10:00:00Z",
             "byteCount": "40000000000"},
            {"eventType": "INTERNAL_STORAGE_MEASURED", "createTime": "2025-02-01T10:00:00Z",
             "byteCount": "90000000000"},
        ],
        "powerManagementEvents": [
            # Newest first in the list on purpose: only createTime counts.
            {"eventType": "BATTERY_LEVEL_COLLECTED", "createTime": "2025-03-01T11:00:00Z",
             "batteryLevel": 64},
            {"eventType": "POWER_CONNECTED", "createTime": "2025-03-01T11:30:00Z"},
            {"eventType": "BATTERY_LEVEL_COLLECTED", "createTime": "2025-03-01T09:00:00.5Z",
             "batteryLevel": 90.5},
        ],
    }
    return device | overrides


def test_fully_managed_device() -> None:
    facts = to_device_facts(_device())
    assert facts.kind is DeviceReportKind.INVENTORY
    assert facts.management_mode is ManagementMode.ANDROID_FULLY_MANAGED
    assert facts.identifiers.serial_number == "3A1B2C"
    assert facts.identifiers.imei == "356938035643809"
    assert facts.identifiers.platform_id == "enterprises/LC01/devices/3f2a"
    assert facts.identifiers.enrollment_token == "ssp-reservation-42"
    inventory = facts.inventory
    assert (inventory.name, inventory.model, inventory.os_version) == (
        "Google Pixel 8", "Pixel 8", "14")
    assert inventory.battery_level == 0.64
    assert (inventory.storage_total_bytes, inventory.storage_free_bytes) == (
        128_000_000_000, 40_000_000_000)
    assert inventory.lost_mode is False
    assert facts.last_contact_at == datetime(2025, 3, 1, 11, 42, 10, 123456, tzinfo=UTC)
    assert facts.enrolled_at == datetime(2024, 11, 2, 8, 15, tzinfo=UTC)


def test_management_modes() -> None:
    assert management_mode({"managementMode": "PROFILE_OWNER", "ownership": "COMPANY_OWNED"}) \
        is ManagementMode.ANDROID_WORK_PROFILE_COMPANY
    assert management_mode({"managementMode": "PROFILE_OWNER", "ownership": "PERSONALLY_OWNED"}) \
        is ManagementMode.ANDROID_WORK_PROFILE_PERSONAL
    # Unknown: the mode with the fewest actions, so nothing impossible is offered.
    assert management_mode({}) is ManagementMode.ANDROID_WORK_PROFILE_PERSONAL


def test_personal_work_profile_without_hardware_identifiers() -> None:
    device = _device(managementMode="PROFILE_OWNER", ownership="PERSONALLY_OWNED",
                     hardwareInfo={"brand": "samsung", "manufacturer": "samsung",
                                   "model": "SM-S911B"},
                     networkInfo={})
    facts = to_device_facts(device)
    assert facts.management_mode is ManagementMode.ANDROID_WORK_PROFILE_PERSONAL
    assert facts.identifiers.serial_number is None and facts.identifiers.imei is None
    assert facts.inventory.name == "samsung SM-S911B"


def test_lost_and_deleted_devices() -> None:
    assert to_device_facts(_device(appliedState="LOST")).inventory.lost_mode is True
    assert to_device_facts(_device(state="DELETED")).kind is DeviceReportKind.UNENROLLED


def test_missing_sections_leave_fields_unknown() -> None:
    facts = to_device_facts({"name": "enterprises/e/devices/d"})
    inventory = facts.inventory
    assert inventory.model_dump(exclude_none=True) == {}
    assert facts.last_contact_at is None


def test_odd_values_are_dropped_one_by_one() -> None:
    device = _device(
        powerManagementEvents=[{"eventType": "BATTERY_LEVEL_COLLECTED",
                                "createTime": "2025-03-01T11:00:00Z", "batteryLevel": 140}],
        memoryEvents=[{"eventType": "INTERNAL_STORAGE_MEASURED",
                       "createTime": "2025-03-01T10:00:00Z", "byteCount": "999999999999999"}],
        enrollmentTokenData="x" * 300,
        lastStatusReportTime="yesterday",
    )
    facts = to_device_facts(device)
    assert facts.inventory.battery_level is None
    assert facts.inventory.storage_free_bytes is None  # more free than total: not shown
    assert facts.inventory.storage_total_bytes == 128_000_000_000
    assert facts.identifiers.enrollment_token is None
    assert facts.identifiers.serial_number == "3A1B2C"
    assert facts.last_contact_at is None


def test_device_reported_event() -> None:
    event = to_device_reported(_device(), org_id="acme", device_id="dev-1", report_id="r-1",
                               now=NOW)
    assert event.platform is Platform.ANDROID
    assert event.occurred_at == datetime(2025, 3, 1, 11, 42, 10, 123456, tzinfo=UTC)
    no_report = dict(_device())
    del no_report["lastStatusReportTime"]
    assert to_device_reported(no_report, org_id="acme", device_id="dev-1", report_id="r-2",
                              now=NOW).occurred_at == NOW
