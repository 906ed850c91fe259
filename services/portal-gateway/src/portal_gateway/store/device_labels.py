"""Owners' own names for their devices ("My work phone"), one document per device and owner.

A label is the owner's view only: the device keeps its name in the MDM, no other service
reads the label, so it lives in the gateway's database. It is keyed by the owner too: when a
device passes to someone else, the new owner does not see the old owner's label.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from ssp_runtime.mongo import Database


class DeviceLabels:
    def __init__(self, db: Database) -> None:
        self.labels = db["device_labels"]

    @staticmethod
    def _id(org_id: str, device_id: str, user_id: str) -> str:
        return f"{org_id}/{device_id}/{user_id}"

    async def of_owners(self, org_id: str,
                        devices: Iterable[tuple[str, str]]) -> dict[str, str]:
        """device id -> label, for (device id, owner's user id) pairs."""
        ids = [self._id(org_id, device_id, user_id) for device_id, user_id in devices]
        if not ids:
            return {}
        return {doc["device_id"]: doc["label"]
                async for doc in self.labels.find({"_id": {"$in": ids}})}

    async def set(self, org_id: str, device_id: str, user_id: str, label: str,
                  now: datetime) -> None:
        """An empty label removes it: the device's own name shows again."""
        key = {"_id": self._id(org_id, device_id, user_id)}
        if not label:
            await self.labels.delete_one(key)
            return
        await self.labels.replace_one(key, {
            "org_id": org_id, "device_id": device_id, "user_id": user_id, "label": label,
            "updated_at": now}, upsert=True)
