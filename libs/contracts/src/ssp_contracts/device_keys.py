"""One spelling per device key, shared by every service that looks a device up by one.

The gateway writes import rows with keys in this form and the device-registry indexes the
identifiers devices report in the same form, so a serial copied from a label with spaces or an
IMEI with dashes finds its device.
"""

from __future__ import annotations


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
