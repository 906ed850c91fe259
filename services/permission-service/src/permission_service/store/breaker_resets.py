"""When an admin last reset each org's wipe circuit breaker (`_id` = org id). Read whole at
start-up and every few seconds, so every instance's `LimitBook` hears a reset made on another;
a handful of documents (one per org that ever reset), never read per decision."""

from __future__ import annotations

from datetime import datetime

from ssp_runtime.mongo import Database

BREAKER_RESETS = "wipe_breaker_resets"


class BreakerResetStore:
    def __init__(self, db: Database) -> None:
        self.col = db[BREAKER_RESETS]

    async def record(self, org_id: str, at: datetime) -> None:
        await self.col.replace_one({"_id": org_id}, {"reset_at": at}, upsert=True)

    async def all(self) -> dict[str, datetime]:
        return {doc["_id"]: doc["reset_at"] async for doc in self.col.find({})}
