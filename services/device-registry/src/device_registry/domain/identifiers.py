"""One spelling per device identifier, so a CSV, a reservation and a device report agree."""

from __future__ import annotations

from ssp_contracts.devices import DeviceIdentifiers


def normalise_serial(value: str) -> str:
    """Serials are printed in upper case and often copied with spaces from labels."""
    return "".join(value.split()).upper()


def normalise_imei(value: str) -> str:
    """IMEIs are copied as `35-209900-176148-1` or `35 209900 176148 1`; only digits count."""
    return "".join(ch for ch in value if ch.isascii() and ch.isdigit())


def normalise_key(kind: str, value: str) -> str:
    """The lookup form of a device key; udid and device_id are opaque and only trimmed."""
    if kind == "serial_number":
        return normalise_serial(value)
    if kind == "imei":
        return normalise_imei(value)
    return value.strip()


def normalised_identifiers(identifiers: DeviceIdentifiers) -> dict[str, str]:
    """The identifiers a device reported that a reservation can name, in lookup form."""
    found: dict[str, str] = {}
    if identifiers.serial_number:
        found["serial_number"] = normalise_serial(identifiers.serial_number)
    if identifiers.imei:
        found["imei"] = normalise_imei(identifiers.imei)
    if identifiers.enrollment_token:
        found["enrollment_token"] = identifiers.enrollment_token.strip()
    return {kind: value for kind, value in found.items() if value}
