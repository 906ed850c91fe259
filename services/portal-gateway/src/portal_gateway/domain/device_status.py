"""The one state a person is told first about a device (its badge, the page's sentence)."""

from __future__ import annotations

from typing import Literal

from ssp_contracts.devices import DeviceSnapshot

DeviceStatus = Literal["active", "lost_mode", "never_contacted", "wipe_pending", "wiped",
                       "unenrolled"]


def device_status(device: DeviceSnapshot) -> DeviceStatus:
    """The one state a person is told first, the most final one winning: an erased device
    may still say "lost mode" in an old report; it matters no longer."""
    if device.wipe_state == "wiped":
        return "wiped"
    if device.wipe_state == "pending":
        return "wipe_pending"
    if not device.enrolled:
        return "unenrolled"
    if device.last_contact_at is None:
        return "never_contacted"
    return "lost_mode" if device.lost_mode else "active"
