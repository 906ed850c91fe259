"""The identifiers a device reported, in the lookup form every service shares."""

from __future__ import annotations

from ssp_contracts.device_keys import normalise_imei, normalise_serial
from ssp_contracts.devices import DeviceIdentifiers


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
