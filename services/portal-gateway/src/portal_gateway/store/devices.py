"""The device projection (from `ssp.devices`) and the owner-scoped reads on it.

Every read a user can trigger goes through `_owned_by`, so a user sees only devices linked to
them in their own org: another user's device simply does not exist for them (BOLA-safe by
construction). Admin reads are org-scoped instead.
"""

from __future__ import annotations

from typing import Any

from pymongo import ASCENDING
from ssp_contracts.devices import DeviceSnapshot
from ssp_runtime.mongo import Database, apply_if_newer

from portal_gateway.domain.access import Caller

SNAPSHOT_FIELDS = frozenset(DeviceSnapshot.model_fields)


def _snapshot(doc: dict[str, Any]) -> DeviceSnapshot:
    return DeviceSnapshot.model_validate({k: v for k, v in doc.items() if k in SNAPSHOT_FIELDS})


def device_fields(snapshot: DeviceSnapshot) -> dict[str, Any]:
    """The stored document of a snapshot, besides `_id` and `version`."""
    return snapshot.model_dump(mode="python")


def _owned_by(caller: Caller) -> dict[str, Any]:
    return {"org_id": caller.org_id, "owner.user_id": caller.user_id}


class DeviceProjection:
    def __init__(self, db: Database) -> None:
        self.coll = db["devices"]

    async def create_indexes(self) -> None:
        await self.coll.create_index([("owner.user_id", ASCENDING), ("org_id", ASCENDING)])
        await self.coll.create_index([("org_id", ASCENDING),
                                      ("identifiers.serial_number", ASCENDING)])
        await self.coll.create_index([("org_id", ASCENDING), ("platform", ASCENDING)])

    # -- written by the projection handler --------------------------------------------------

    async def owner_of(self, device_id: str) -> str | None:
        doc = await self.coll.find_one({"_id": device_id}, {"owner.user_id": 1})
        owner = (doc or {}).get("owner") or {}
        return owner.get("user_id")

    async def apply(self, snapshot: DeviceSnapshot) -> bool:
        return await apply_if_newer(self.coll, snapshot.device_id, snapshot.version,
                                    device_fields(snapshot))

    async def delete(self, device_id: str) -> DeviceSnapshot | None:
        doc = await self.coll.find_one_and_delete({"_id": device_id})
        return None if doc is None else _snapshot(doc)

    # -- what a user may read: always filtered by user and org ------------------------------

    async def owned_device(self, caller: Caller, device_id: str) -> DeviceSnapshot | None:
        doc = await self.coll.find_one({"_id": device_id, **_owned_by(caller)})
        return None if doc is None else _snapshot(doc)

    async def owned_devices(self, caller: Caller) -> list[DeviceSnapshot]:
        cursor = self.coll.find(_owned_by(caller)).sort([("name", ASCENDING), ("_id", ASCENDING)])
        return [_snapshot(doc) async for doc in cursor]

    async def count_owned(self, caller: Caller) -> int:
        return await self.coll.count_documents(_owned_by(caller))

    # -- admin reads: org-scoped ------------------------------------------------------------

    async def in_org(self, org_id: str, device_id: str) -> DeviceSnapshot | None:
        doc = await self.coll.find_one({"_id": device_id, "org_id": org_id})
        return None if doc is None else _snapshot(doc)

    async def search(self, org_id: str, *, serial_number: str | None = None,
                     platform: str | None = None, owner_user_id: str | None = None,
                     page: int = 1, page_size: int = 50) -> list[DeviceSnapshot]:
        query: dict[str, Any] = {"org_id": org_id}
        if serial_number:
            query["identifiers.serial_number"] = serial_number
        if platform:
            query["platform"] = platform
        if owner_user_id:
            query["owner.user_id"] = owner_user_id
        cursor = (self.coll.find(query).sort("_id", ASCENDING)
                  .skip((page - 1) * page_size).limit(page_size))
        return [_snapshot(doc) async for doc in cursor]
