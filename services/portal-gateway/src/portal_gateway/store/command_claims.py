"""The claim that makes a command request safe to repeat and to race: the same (user,
Idempotency-Key) always names the same command. An `_id`-unique insert (atomic on MongoDB and
FerretDB alike), released on failure. (One unfinished command per device and action is a
pre-check in memory now: command_prechecks.py.)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pymongo.errors import DuplicateKeyError
from ssp_runtime.mongo import Database


@dataclass(frozen=True)
class Claim:
    command_id: str
    until: datetime
    device_id: str | None = None
    action: str | None = None


def _claim(doc: dict[str, Any]) -> Claim:
    return Claim(doc["command_id"], doc["until"], doc.get("device_id"), doc.get("action"))


class CommandClaims:
    def __init__(self, db: Database) -> None:
        self.keys = db["idempotency_keys"]

    async def claim_key(self, user_id: str, key: str, claim: Claim,
                        now: datetime) -> Claim | None:
        """None when claimed; else the earlier, still valid claim of this key."""
        doc = {"_id": f"{user_id}:{key}", "command_id": claim.command_id, "until": claim.until,
               "device_id": claim.device_id, "action": claim.action}
        try:
            await self.keys.insert_one(doc)
            return None
        except DuplicateKeyError:
            pass
        # An expired key the sweep has not removed yet may be reused.
        replaced = await self.keys.update_one({"_id": doc["_id"], "until": {"$lte": now}},
                                              {"$set": doc})
        if replaced.modified_count == 1:
            return None
        existing = await self.keys.find_one({"_id": doc["_id"]})
        return _claim(existing) if existing else claim

    async def release_key(self, user_id: str, key: str, command_id: str) -> None:
        await self.keys.delete_one({"_id": f"{user_id}:{key}", "command_id": command_id})

    async def sweep(self, now: datetime) -> int:
        return (await self.keys.delete_many({"until": {"$lt": now}})).deleted_count
