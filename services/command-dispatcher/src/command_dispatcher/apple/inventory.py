"""DeviceInformation QueryResponses mapped to the portal's inventory fields."""

from __future__ import annotations

from typing import Any

from ssp_contracts.devices import DeviceIdentifiers, DeviceInventory

# Apple reports capacities in GB (10^9 bytes) as reals (AppleDM information.device.yaml).
_BYTES_PER_GB = 1_000_000_000


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


def _bytes(responses: dict[str, Any], key: str) -> int | None:
    gigabytes = _real(responses, key)
    return round(gigabytes * _BYTES_PER_GB) if gigabytes is not None and gigabytes >= 0 else None


def to_inventory(responses: dict[str, Any]) -> dict[str, Any]:
    """DeviceInventory fields, plus `serial_number` and `imei` (DeviceIdentifiers fields).

    Absent keys are unknown: the registry leaves what it stores for them alone.
    """
    lost_mode = responses.get("IsMDMLostModeEnabled")
    inventory = DeviceInventory.accepted_fields({
        "name": _text(responses, "DeviceName"),
        "model": _model(responses),
        "os_version": _text(responses, "OSVersion"),
        "battery_level": _battery(responses),
        "storage_total_bytes": _bytes(responses, "DeviceCapacity"),
        "storage_free_bytes": _bytes(responses, "AvailableDeviceCapacity"),
        "lost_mode": lost_mode if isinstance(lost_mode, bool) else None,
    })
    identifiers = DeviceIdentifiers.accepted_fields({
        "serial_number": _text(responses, "SerialNumber"),
        "imei": _text(responses, "IMEI"),
    })
    return inventory | identifiers
