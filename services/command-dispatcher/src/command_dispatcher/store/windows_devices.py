"""Windows devices: the certificate pinned at their first OMA-DM session, and their reports."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ssp_contracts.devices import DeviceReported
from ssp_contracts.topics import DEVICES_REPORTS
from ssp_runtime.mongo import Database
from ssp_runtime.outbox import OutboxRelay, outbox_entry, push_outbox

WINDOWS_DEVICES = "windows_devices"
Doc = dict[str, Any]


@dataclass(frozen=True)
class WindowsDevice:
    device_id: str  # "windows-" + DevId
    dev_id: str  # ./DevInfo/DevId, the Source LocURI of the device's messages
    org_id: str
    fingerprint: str  # SHA-256 of the client certificate seen at the first session
    enrolled: bool


class WindowsDeviceStore:
    def __init__(self, db: Database, outbox: OutboxRelay, source: str) -> None:
        self.col = db[WINDOWS_DEVICES]
        self.outbox = outbox
        self.source = source
        outbox.watch(WINDOWS_DEVICES)

    async def get(self, device_id: str) -> WindowsDevice | None:
        doc = await self.col.find_one({"_id": device_id})
        return _from_doc(doc) if doc else None

    async def enroll(self, device: WindowsDevice, report: DeviceReported, now: datetime) -> None:
        """Pin the certificate of the first session and report the enrollment, in one write."""
        await self.col.update_one(
            {"_id": device.device_id},
            {"$set": {"dev_id": device.dev_id, "org_id": device.org_id,
                      "fingerprint": device.fingerprint, "enrolled": True, "enrolled_at": now},
             "$push": push_outbox(self._entry(report))},
            upsert=True,
        )
        self.outbox.kick(WINDOWS_DEVICES, device.device_id)

    async def report(self, device_id: str, report: DeviceReported) -> None:
        await self.col.update_one({"_id": device_id}, {"$push": push_outbox(self._entry(report))})
        self.outbox.kick(WINDOWS_DEVICES, device_id)

    async def unenroll(self, device_id: str, report: DeviceReported) -> None:
        """The device left management: unpin it and report `unenrolled`, in one write."""
        await self.col.update_one({"_id": device_id}, {
            "$set": {"enrolled": False}, "$push": push_outbox(self._entry(report))})
        self.outbox.kick(WINDOWS_DEVICES, device_id)

    async def unpin(self, device_id: str) -> None:
        """A wiped device loses its MDM certificate: its next first session may pin a new one."""
        await self.col.update_one({"_id": device_id}, {"$set": {"enrolled": False}})

    def _entry(self, report: DeviceReported) -> Doc:
        return outbox_entry(DEVICES_REPORTS, report, source=self.source)


def _from_doc(doc: Doc) -> WindowsDevice:
    return WindowsDevice(device_id=doc["_id"], dev_id=doc["dev_id"], org_id=doc["org_id"],
                         fingerprint=doc["fingerprint"], enrolled=doc.get("enrolled", False))
