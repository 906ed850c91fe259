"""DeviceInformation QueryResponses mapped to the portal's inventory fields."""

from __future__ import annotations

from typing import Any

from ssp_contracts.devices import DeviceIdentifiers, DeviceInventory

# Apple reports capacities as reals "in floating-point base-10 gigabytes (GB) on iOS and macOS
# 12 or later. The capacity is in base-2 gibibytes (GiB) on macOS 11 and earlier"
# (apple/device-management mdm/commands/information.device.yaml, DeviceCapacity).
_BYTES_PER_GB = 1_000_000_000
_BYTES_PER_GIB = 1 << 30
_LAST_MACOS_IN_GIB = 11


def _text(responses: dict[str, Any], key: str) -> str | None:
    value = responses.get(key)
    return (value.strip() or None) if isinstance(value, str) else None


def _real(responses: dict[str, Any], key: str) -> float | None:
    value = responses.get(key)
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _model(responses: dict[str, Any]) -> str | None:
    # ModelName is the family ("iPhone", "MacBook Pro"); ProductName the exact hardware
    # ("iPhone15,2"); together they read well in the portal. Model is a part number fallback.
    name, product = _text(responses, "ModelName"), _text(responses, "ProductName")
    if name and product and name != product:
        return f"{name} ({product})"
    return name or product or _text(responses, "Model")


def _battery(responses: dict[str, Any]) -> float | None:
    level = _real(responses, "BatteryLevel")
    return level if level is not None and 0 <= level <= 1 else None  # -1.0 means unknown


def _unit(responses: dict[str, Any], macos: bool) -> int:
    version = _text(responses, "OSVersion") or ""
    major = version.split(".", 1)[0]
    if macos and major.isdigit() and int(major) <= _LAST_MACOS_IN_GIB:
        return _BYTES_PER_GIB
    return _BYTES_PER_GB


def _bytes(responses: dict[str, Any], key: str, unit: int) -> int | None:
    amount = _real(responses, key)
    return round(amount * unit) if amount is not None and amount >= 0 else None


def to_inventory(responses: dict[str, Any], *, macos: bool = False) -> dict[str, Any]:
    """DeviceInventory fields, plus `serial_number` and `imei` (DeviceIdentifiers fields).

    Absent keys are unknown: the registry leaves what it stores for them alone. `macos`: the
    answer is a Mac's, whose OSVersion decides the capacity unit.
    """
    unit = _unit(responses, macos)
    lost_mode = responses.get("IsMDMLostModeEnabled")
    inventory = DeviceInventory.accepted_fields({
        "name": _text(responses, "DeviceName"),
        "model": _model(responses),
        "os_version": _text(responses, "OSVersion"),
        "battery_level": _battery(responses),
        "storage_total_bytes": _bytes(responses, "DeviceCapacity", unit),
        "storage_free_bytes": _bytes(responses, "AvailableDeviceCapacity", unit),
        "lost_mode": lost_mode if isinstance(lost_mode, bool) else None,
    })
    identifiers = DeviceIdentifiers.accepted_fields({
        "serial_number": _text(responses, "SerialNumber"),
        "imei": _text(responses, "IMEI"),
    })
    return inventory | identifiers
