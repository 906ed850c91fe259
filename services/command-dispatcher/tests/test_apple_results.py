"""Device reports: status, ErrorChain and response keys mapped to the contracts."""

import plistlib
from datetime import UTC, datetime

import pytest
from command_dispatcher.apple.errors import ProtocolError
from command_dispatcher.apple.inventory import to_inventory
from command_dispatcher.apple.results import (
    ReportStatus,
    command_status,
    parse_report,
    to_command_result,
)
from ssp_contracts.commands import ErrorDetail
from ssp_contracts.devices import DeviceIdentifiers, DeviceInventory
from ssp_contracts.enums import CommandStatus

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


def _body(**values: object) -> bytes:
    return plistlib.dumps({"UDID": "U1", **values})


def test_idle_has_no_command() -> None:
    report = parse_report(_body(Status="Idle"))
    assert report.status is ReportStatus.IDLE
    assert report.command_uuid is None
    assert command_status(report) is None
    assert to_command_result(report) is None


def test_not_now_leaves_the_command_for_later() -> None:
    report = parse_report(_body(Status="NotNow", CommandUUID="c1"))
    assert report.command_uuid == "c1"
    assert command_status(report) is None
    assert to_command_result(report) is None


def test_error_chain_becomes_error_details() -> None:
    report = parse_report(
        _body(
            Status="Error",
            CommandUUID="c1",
            ErrorChain=[
                {
                    "ErrorCode": 12067,
                    "ErrorDomain": "MCMDMErrorDomain",
                    "LocalizedDescription": "Nicht im Modus",
                    "USEnglishDescription": "Not in lost mode",
                },
                {
                    "ErrorCode": 4,
                    "ErrorDomain": "NSPOSIXErrorDomain",
                    "LocalizedDescription": "Inner",
                },
            ],
        )
    )
    assert command_status(report) is CommandStatus.FAILED
    result = to_command_result(report, now=NOW)
    assert result is not None
    assert result.errors == [
        ErrorDetail(code="12067", domain="MCMDMErrorDomain", message="Not in lost mode"),
        ErrorDetail(code="4", domain="NSPOSIXErrorDomain", message="Inner"),
    ]


def test_command_format_error_gets_an_error_detail() -> None:
    report = parse_report(_body(Status="CommandFormatError", CommandUUID="c1"))
    result = to_command_result(report)
    assert command_status(report) is CommandStatus.FAILED
    assert result is not None and result.errors[0].code == "CommandFormatError"


def test_location_report() -> None:
    report = parse_report(
        _body(
            Status="Acknowledged",
            CommandUUID="c1",
            Latitude=48.137,
            Longitude=11.575,
            HorizontalAccuracy=8.5,
            Timestamp="2026-11-27T11:58:00Z",
        )
    )
    assert command_status(report) is CommandStatus.ACKNOWLEDGED
    result = to_command_result(report, now=NOW)
    assert result is not None and result.location is not None
    assert (result.location.latitude, result.location.longitude) == (48.137, 11.575)
    assert result.location.accuracy_m == 8.5
    assert result.location.at == datetime(2026, 11, 27, 11, 58, tzinfo=UTC)


def test_location_without_timestamp_or_accuracy() -> None:
    report = parse_report(
        _body(
            Status="Acknowledged",
            CommandUUID="c1",
            Latitude=1.0,
            Longitude=2.0,
            HorizontalAccuracy=-1.0,
        )
    )
    result = to_command_result(report, now=NOW)
    assert result is not None and result.location is not None
    assert result.location.at == NOW
    assert result.location.accuracy_m is None  # negative means unknown


def test_impossible_coordinates_are_dropped() -> None:
    report = parse_report(
        _body(Status="Acknowledged", CommandUUID="c1", Latitude=91.0, Longitude=0)
    )
    result = to_command_result(report, now=NOW)
    assert result is not None and result.location is None


def test_device_information_becomes_inventory() -> None:
    report = parse_report(
        _body(
            Status="Acknowledged",
            CommandUUID="c1",
            QueryResponses={
                "DeviceName": "Ada's iPhone",
                "ModelName": "iPhone",
                "ProductName": "iPhone15,2",
                "Model": "MQ9X3",
                "OSVersion": "17.5.1",
                "BuildVersion": "21F90",
                "SerialNumber": "F2LXYZ1234",
                "IMEI": "356938035643809",
                "DeviceCapacity": 119.1,
                "AvailableDeviceCapacity": 64.25,
                "BatteryLevel": 0.8,
                "IsSupervised": True,
                "IsMDMLostModeEnabled": False,
            },
        )
    )
    result = to_command_result(report)
    assert result is not None
    assert result.inventory == {
        "name": "Ada's iPhone",
        "model": "iPhone (iPhone15,2)",
        "os_version": "17.5.1",
        "battery_level": 0.8,
        "storage_total_bytes": 119_100_000_000,
        "storage_free_bytes": 64_250_000_000,
        "lost_mode": False,
        "serial_number": "F2LXYZ1234",
        "imei": "356938035643809",
    }
    inventory_keys = set(DeviceInventory.model_fields)
    DeviceInventory(**{k: v for k, v in result.inventory.items() if k in inventory_keys})
    DeviceIdentifiers(**{k: v for k, v in result.inventory.items() if k not in inventory_keys})


@pytest.mark.parametrize("battery", [-1.0, 1.5, "full", True])
def test_unknown_battery_is_omitted(battery: object) -> None:
    report = parse_report(
        _body(
            Status="Acknowledged",
            CommandUUID="c1",
            QueryResponses={
                "BatteryLevel": battery,
                "SerialNumber": "S1",
            },
        )
    )
    result = to_command_result(report)
    assert result is not None and result.inventory == {"serial_number": "S1"}


def test_lock_message_result_is_the_platform_status() -> None:
    report = parse_report(_body(Status="Acknowledged", CommandUUID="c1", MessageResult="Success"))
    result = to_command_result(report)
    assert result is not None and result.platform_status == "Success"
    assert result.location is None and result.inventory is None


def test_enrollment_id_reports() -> None:
    report = parse_report(plistlib.dumps({"EnrollmentID": "E1", "Status": "Idle"}))
    assert report.device_identifier == "E1"


@pytest.mark.parametrize(
    ("values", "code"),
    [
        ({"UDID": "U1", "Status": "Maybe", "CommandUUID": "c"}, "report.invalid_status"),
        ({"UDID": "U1"}, "report.invalid_status"),
        ({"Status": "Idle"}, "report.invalid"),
        ({"UDID": "U1", "Status": "Acknowledged"}, "report.invalid"),
        (
            {"UDID": "U1", "Status": "Error", "CommandUUID": "c", "ErrorChain": "x"},
            "report.invalid",
        ),
        (
            {"UDID": "U1", "Status": "Error", "CommandUUID": "c", "ErrorChain": [{}]},
            "report.invalid",
        ),
        ({"UDID": 5, "Status": "Idle"}, "report.invalid"),
    ],
)
def test_malformed_reports(values: dict[str, object], code: str) -> None:
    with pytest.raises(ProtocolError) as caught:
        parse_report(plistlib.dumps(values))
    assert caught.value.code == code


def test_capacity_of_macos_11_and_earlier_is_read_in_gib() -> None:
    """information.device.yaml, DeviceCapacity: "The total capacity in floating-point base-10
    gigabytes (GB) on iOS and macOS 12 or later. The capacity is in base-2 gibibytes (GiB) on
    macOS 11 and earlier." """
    old = {"OSVersion": "11.7.10", "DeviceCapacity": 465.63, "AvailableDeviceCapacity": 1.0}
    assert to_inventory(old, macos=True)["storage_total_bytes"] == round(465.63 * 2**30)
    assert to_inventory(old, macos=True)["storage_free_bytes"] == 2**30
    assert to_inventory(old | {"OSVersion": "12.0"}, macos=True)["storage_free_bytes"] == 10**9
    assert to_inventory(old)["storage_free_bytes"] == 10**9  # an iPhone on "11.x" is in GB
