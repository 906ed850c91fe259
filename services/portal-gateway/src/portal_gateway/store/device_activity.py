"""Each device's activity: the `ssp.audit` records that name a device, one document per record
(`_id` = audit id, so a replayed record is stored once).

Who may read which entries is decided here, in the query (domain/activity.py says why): an
admin of the org reads all of a device's entries; its owner reads their own actions, the
records about them (their link), and everything since the device was linked to them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pymongo import DESCENDING, ReplaceOne
from ssp_contracts.audit import AuditRecord
from ssp_runtime.mongo import BULK_LIMIT, Database

_FIELDS = ("org_id", "device_id", "actor", "action", "outcome", "user_id", "command_id",
           "detail", "occurred_at")


class DeviceActivity:
    def __init__(self, db: Database) -> None:
        self.coll = db["device_activity"]

    async def create_indexes(self) -> None:
        await self.coll.create_index([("device_id", DESCENDING), ("org_id", DESCENDING),
                                      ("occurred_at", DESCENDING)])

    async def record(self, records: Sequence[AuditRecord]) -> int:
        """Keeps the records that name a device (the others have nothing to show), a consumed
        batch in one round trip per `BULK_LIMIT`; how many were kept."""
        kept = [ReplaceOne({"_id": r.audit_id}, {name: getattr(r, name) for name in _FIELDS},
                           upsert=True) for r in records if r.device_id is not None]
        for start in range(0, len(kept), BULK_LIMIT):
            await self.coll.bulk_write(kept[start:start + BULK_LIMIT], ordered=False)
        return len(kept)

    async def of_device(self, org_id: str, device_id: str, *, owner_id: str | None,
                        linked_at: datetime | None, page: int, page_size: int,
                        ) -> tuple[list[AuditRecord], bool]:
        """A page of the device's entries, newest first, and whether another page follows.
        `owner_id` None: an admin's view, every entry."""
        query: dict[str, Any] = {"org_id": org_id, "device_id": device_id}
        if owner_id is not None:
            ors: list[dict[str, Any]] = [{"actor": owner_id}, {"user_id": owner_id}]
            if linked_at is not None:
                ors.append({"occurred_at": {"$gte": linked_at}})
            query["$or"] = ors
        cursor = (self.coll.find(query).sort([("occurred_at", DESCENDING), ("_id", DESCENDING)])
                  .skip((page - 1) * page_size).limit(page_size + 1))
        docs = [doc async for doc in cursor]
        records = [AuditRecord.model_validate(
            {**{name: doc.get(name) for name in _FIELDS}, "audit_id": doc["_id"]})
            for doc in docs[:page_size]]
        return records, len(docs) > page_size
