"""The authorizer's own projection of `ssp.devices`: one view per device, newest version wins,
deleted by a tombstone."""

from __future__ import annotations

from typing import Any

from ssp_contracts.enums import ManagementMode, Platform
from ssp_contracts.policy import DeviceFacts
from ssp_runtime.mongo import Database, apply_if_newer

DEVICE_VIEWS = "device_views"
Doc = dict[str, Any]


class DeviceViewStore:
    def __init__(self, db: Database) -> None:
        self.col = db[DEVICE_VIEWS]

    async def get(self, device_id: str) -> DeviceFacts | None:
        doc = await self.col.find_one({"_id": device_id})
        if doc is None:
            return None
        return DeviceFacts(
            device_id=doc["_id"], org_id=doc["org_id"], owner_user_id=doc["owner_user_id"],
            platform=Platform(doc["platform"]),
            management_mode=ManagementMode(doc["management_mode"]),
            lost_mode=doc["lost_mode"], enrolled=doc["enrolled"], wipe_state=doc["wipe_state"],
            model=doc.get("model"),  # views stored before the model counted have none
        )

    async def apply(self, view: DeviceFacts, version: int) -> bool:
        """Store `view` unless a same or newer version is held (redelivery, reordering)."""
        return await apply_if_newer(self.col, view.device_id, version, {
            "org_id": view.org_id, "owner_user_id": view.owner_user_id,
            "platform": view.platform.value, "management_mode": view.management_mode.value,
            "lost_mode": view.lost_mode, "enrolled": view.enrolled,
            "wipe_state": view.wipe_state, "model": view.model,
        })

    async def delete(self, device_id: str) -> None:
        await self.col.delete_one({"_id": device_id})
