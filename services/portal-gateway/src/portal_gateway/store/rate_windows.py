"""Fixed-window counters in MongoDB, shared by every gateway instance."""

from __future__ import annotations

from datetime import datetime

from pymongo import ReturnDocument
from ssp_runtime.mongo import Database

from portal_gateway.domain.rate_limits import Window


class RateWindows:
    def __init__(self, db: Database) -> None:
        self.coll = db["rate_windows"]

    async def hit(self, window: Window) -> int:
        """Count one attempt in `window`; returns the count including it."""
        doc = await self.coll.find_one_and_update(
            {"_id": window.key},
            {"$inc": {"count": 1}, "$setOnInsert": {"until": window.end}},
            upsert=True, return_document=ReturnDocument.AFTER)
        assert doc is not None  # an upsert returning the document after always has one
        return int(doc["count"])

    async def count(self, window: Window) -> int:
        """Attempts counted in `window` so far."""
        doc = await self.coll.find_one({"_id": window.key})
        return int(doc["count"]) if doc else 0

    async def sweep(self, now: datetime) -> int:
        return (await self.coll.delete_many({"until": {"$lt": now}})).deleted_count
