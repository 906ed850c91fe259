"""The wipe circuit breaker's state, shared by every gateway instance (see the domain module).

`wipe_slots`: one document per wipe counted in a window, taken by a unique insert.
`wipe_breakers`: one document per org whose breaker is open, with `until`.
"""

from __future__ import annotations

from datetime import datetime

from pymongo.errors import DuplicateKeyError
from ssp_runtime.mongo import Database

from portal_gateway.domain.rate_limits import Window


class WipeBreakerStore:
    def __init__(self, db: Database) -> None:
        self.slots = db["wipe_slots"]
        self.breakers = db["wipe_breakers"]

    async def take_slot(self, org_id: str, window: Window, ids: list[str]) -> bool:
        """Take the first free slot of the window; False when all are taken."""
        for slot_id in ids:
            try:
                await self.slots.insert_one({"_id": slot_id, "org_id": org_id,
                                             "until": window.end})
                return True
            except DuplicateKeyError:
                continue
        return False

    async def open_until(self, org_id: str) -> datetime | None:
        doc = await self.breakers.find_one({"_id": org_id})
        return None if doc is None else doc["until"]

    async def trip(self, org_id: str, now: datetime, until: datetime) -> datetime:
        """Open the org's breaker; when another instance opened it first, its `until` holds."""
        try:
            await self.breakers.insert_one({"_id": org_id, "opened_at": now, "until": until})
            return until
        except DuplicateKeyError:
            existing = await self.open_until(org_id)
        if existing is not None and existing > now:
            return existing
        # An expired breaker the sweep has not removed yet: replace it (guarded, so of two
        # instances doing this at once one deletes and both insert, one of them wins).
        await self.breakers.delete_one({"_id": org_id, "until": existing})
        try:
            await self.breakers.insert_one({"_id": org_id, "opened_at": now, "until": until})
            return until
        except DuplicateKeyError:
            return await self.open_until(org_id) or until

    async def reset(self, org_id: str) -> bool:
        """Close the breaker and forget the org's counted wipes (else the next one re-trips)."""
        closed = (await self.breakers.delete_one({"_id": org_id})).deleted_count
        await self.slots.delete_many({"org_id": org_id})
        return bool(closed)

    async def open_count(self, now: datetime) -> int:
        """Orgs whose breaker is open now (a handful of documents at most)."""
        return len([d async for d in self.breakers.find({}, {"until": 1}) if d["until"] > now])

    async def sweep(self, now: datetime) -> int:
        return ((await self.slots.delete_many({"until": {"$lt": now}})).deleted_count
                + (await self.breakers.delete_many({"until": {"$lt": now}})).deleted_count)
