"""Single-use confirmation tokens, stored hashed; consumed atomically."""

from __future__ import annotations

from datetime import datetime

from ssp_runtime.mongo import Database

from portal_gateway.domain.confirmations import Confirmation


class ConfirmationStore:
    def __init__(self, db: Database) -> None:
        self.coll = db["confirmations"]

    async def create(self, confirmation: Confirmation) -> None:
        await self.coll.insert_one({
            "_id": confirmation.token_hash, "user_id": confirmation.user_id,
            "org_id": confirmation.org_id, "device_id": confirmation.device_id,
            "action": confirmation.action.value, "expires_at": confirmation.expires_at,
            "used_at": None,
        })

    async def consume(self, token_hash: str, *, user_id: str, device_id: str, action: str,
                      now: datetime) -> bool:
        """True exactly once for a valid token bound to this user, device and action."""
        doc = await self.coll.find_one_and_update(
            {"_id": token_hash, "user_id": user_id, "device_id": device_id, "action": action,
             "used_at": None, "expires_at": {"$gt": now}},
            {"$set": {"used_at": now}})
        return doc is not None

    async def sweep(self, now: datetime) -> int:
        return (await self.coll.delete_many({"expires_at": {"$lt": now}})).deleted_count
