"""Android devices this dispatcher knows from the AMAPI sync, with the outbox of their reports."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from ssp_contracts.devices import DeviceReported
from ssp_contracts.topics import DEVICES_REPORTS
from ssp_runtime.mongo import Database
from ssp_runtime.outbox import OutboxRelay, outbox_entry, push_outbox

from command_dispatcher.android.sync_plan import AndroidDevice

ANDROID_DEVICES = "android_devices"
Doc = dict[str, Any]


class AndroidDeviceStore:
    def __init__(self, db: Database, outbox: OutboxRelay, source: str) -> None:
        self.col = db[ANDROID_DEVICES]
        self.outbox = outbox
        self.source = source
        outbox.watch(ANDROID_DEVICES)

    async def create_indexes(self) -> None:
        await self.col.create_index("name", unique=True)

    async def get(self, device_id: str) -> AndroidDevice | None:
        doc = await self.col.find_one({"_id": device_id})
        return _from_doc(doc) if doc else None

    async def in_enterprise(self, enterprise: str) -> dict[str, AndroidDevice]:
        """Every device ever synced from `enterprise`, by device id."""
        prefix = re.escape(f"{enterprise}/devices/")
        return {doc["_id"]: _from_doc(doc)
                async for doc in self.col.find({"name": {"$regex": f"^{prefix}"}})}

    async def report(self, device: AndroidDevice, report: DeviceReported, now: datetime) -> None:
        """Store the device as it now is and publish `report` about it, in one write."""
        await self.col.update_one(
            {"_id": device.device_id},
            {"$set": {"name": device.name, "org_id": device.org_id,
                      "management_mode": device.management_mode, "enrolled": device.enrolled,
                      "facts_digest": device.facts_digest, "synced_at": now},
             "$push": push_outbox(outbox_entry(DEVICES_REPORTS, report, source=self.source))},
            upsert=True,
        )
        self.outbox.kick(ANDROID_DEVICES, device.device_id)


def _from_doc(doc: Doc) -> AndroidDevice:
    return AndroidDevice(
        device_id=doc["_id"], name=doc["name"], org_id=doc["org_id"],
        management_mode=doc["management_mode"], enrolled=doc.get("enrolled", False),
        facts_digest=doc.get("facts_digest"),
    )
