"""An AMAPI Device resource mapped to the portal's DeviceReported fields."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ssp_contracts.devices import DeviceIdentifiers, DeviceInventory, DeviceReported
from ssp_contracts.enums import DeviceReportKind, ManagementMode, Platform


@dataclass(frozen=True)
class AndroidDeviceFacts:
    kind: DeviceReportKind  # inventory, or unenrolled once Google reports the device DELETED
    management_mode: ManagementMode
    identifiers: DeviceIdentifiers
    inventory: DeviceInventory
    last_contact_at: datetime | None
    enrolled_at: datetime | None


def _text(value: Any) -> str | None:
    return (value.strip() or None) if isinstance(value, str) else None


def _section(device: dict[str, Any], key: str) -> dict[str, Any]:
    value = device.get(key)
    return value if isinstance(value, dict) else {}


def _time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:  # RFC 3339 with up to nanoseconds; Python keeps microseconds
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def _integer(value: Any) -> int | None:
    # int64 fields arrive as JSON strings ("64000000000"), small ones sometimes as numbers.
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


def _latest(events: Any, event_type: str) -> dict[str, Any] | None:
    """The newest event of a type: Google recommends createTime, not list order."""
    matching = [
        (when, event) for event in (events if isinstance(events, list) else [])
        if isinstance(event, dict) and event.get("eventType") == event_type
        and (when := _time(event.get("createTime"))) is not None
    ]
    return max(matching, key=lambda pair: pair[0])[1] if matching else None


def management_mode(device: dict[str, Any]) -> ManagementMode:
    mode, ownership = device.get("managementMode"), device.get("ownership")
    if mode == "DEVICE_OWNER":
        return ManagementMode.ANDROID_FULLY_MANAGED
    if mode == "PROFILE_OWNER" and ownership == "COMPANY_OWNED":
        return ManagementMode.ANDROID_WORK_PROFILE_COMPANY
    # Personal work profile, or a mode Google did not report: the mode offering the fewest
    # actions, so the portal never offers one the device cannot run.
    return ManagementMode.ANDROID_WORK_PROFILE_PERSONAL


def _battery(device: dict[str, Any]) -> float | None:
    event = _latest(device.get("powerManagementEvents"), "BATTERY_LEVEL_COLLECTED")
    level = event.get("batteryLevel") if event else None
    if isinstance(level, int | float) and not isinstance(level, bool) and 0 <= level <= 100:
        return round(level / 100, 4)
    return None


def _storage(device: dict[str, Any]) -> tuple[int | None, int | None]:
    total = _integer(_section(device, "memoryInfo").get("totalInternalStorage"))
    event = _latest(device.get("memoryEvents"), "INTERNAL_STORAGE_MEASURED")
    free = _integer(event.get("byteCount")) if event else None  # free bytes (AMAPI-disc)
    if total is not None and free is not None and free > total:
        free = None  # measured against a different volume than the total; do not show nonsense
    return total, free


def _name(hardware: dict[str, Any]) -> str | None:
    # AMAPI has no user-chosen device name; "Google Pixel 8" reads better than a serial.
    maker = _text(hardware.get("manufacturer")) or _text(hardware.get("brand"))
    model = _text(hardware.get("model"))
    if maker and model and not model.lower().startswith(maker.lower()):
        return f"{maker} {model}"
    return model or maker


def _lost_mode(device: dict[str, Any]) -> bool | None:
    state = device.get("appliedState")
    return state == "LOST" if isinstance(state, str) else None


def to_device_facts(device: dict[str, Any]) -> AndroidDeviceFacts:
    """Everything the portal reads from one Device resource; absent fields stay None."""
    hardware = _section(device, "hardwareInfo")
    total, free = _storage(device)
    identifiers = DeviceIdentifiers.model_validate(DeviceIdentifiers.accepted_fields({
        "serial_number": _text(hardware.get("serialNumber")),
        "imei": _text(_section(device, "networkInfo").get("imei")),
        "platform_id": _text(device.get("name")),
        "enrollment_token": _text(device.get("enrollmentTokenData")),
    }))
    inventory = DeviceInventory.model_validate(DeviceInventory.accepted_fields({
        "name": _name(hardware),
        "model": _text(hardware.get("model")),
        "os_version": _text(_section(device, "softwareInfo").get("androidVersion")),
        "battery_level": _battery(device),
        "storage_total_bytes": total,
        "storage_free_bytes": free,
        "lost_mode": _lost_mode(device),
    }))
    deleted = "DELETED" in (device.get("state"), device.get("appliedState"))
    return AndroidDeviceFacts(
        kind=DeviceReportKind.UNENROLLED if deleted else DeviceReportKind.INVENTORY,
        management_mode=management_mode(device),
        identifiers=identifiers,
        inventory=inventory,
        last_contact_at=_time(device.get("lastStatusReportTime")),
        enrolled_at=_time(device.get("enrollmentTime")),
    )


def to_device_reported(
    device: dict[str, Any], *, org_id: str, device_id: str, report_id: str, now: datetime
) -> DeviceReported:
    """A DeviceReported event; `occurred_at` is the device's last status report when known."""
    facts = to_device_facts(device)
    return DeviceReported(
        org_id=org_id, report_id=report_id, device_id=device_id, kind=facts.kind,
        platform=Platform.ANDROID, management_mode=facts.management_mode,
        identifiers=facts.identifiers, inventory=facts.inventory,
        occurred_at=facts.last_contact_at or now,
    )
