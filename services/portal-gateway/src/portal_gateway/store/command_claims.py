"""Claims that make a command request safe to repeat and to race.

- slot: one unfinished command per (device, action) across all gateway instances;
- idempotency key: the same (user, Idempotency-Key) always names the same command.
Both are `_id`-unique inserts (atomic on MongoDB and FerretDB alike), released on failure.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pymongo import DeleteOne
from pymongo.errors import DuplicateKeyError
from ssp_runtime.mongo import BULK_LIMIT, Database


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
        self.slots = db["command_slots"]
        self.keys = db["idempotency_keys"]

    # -- one unfinished command per device and action --------------------------------------

    async def claim_slot(self, device_id: str, action: str, command_id: str,
                         until: datetime) -> Claim | None:
        """None when claimed; else the claim that holds the slot."""
        slot = f"{device_id}:{action}"
        try:
            await self.slots.insert_one({"_id": slot, "command_id": command_id, "until": until})
            return None
        except DuplicateKeyError:
            doc = await self.slots.find_one({"_id": slot})
            return _claim(doc) if doc else Claim(command_id="", until=until)

    async def take_over_slot(self, device_id: str, action: str, old_command_id: str,
                             command_id: str, until: datetime) -> bool:
        """Replace a finished or stale holder; False if someone else replaced it first."""
        result = await self.slots.update_one(
            {"_id": f"{device_id}:{action}", "command_id": old_command_id},
            {"$set": {"command_id": command_id, "until": until}})
        return result.modified_count == 1

    async def release_slot(self, device_id: str, action: str, command_id: str) -> None:
        await self.release_slots([(device_id, action, command_id)])

    async def release_slots(self, held: Sequence[tuple[str, str, str]]) -> None:
        """Each (device, action) slot still held by that command is freed: one round trip
        per `BULK_LIMIT` slots."""
        deletes = [DeleteOne({"_id": f"{device_id}:{action}", "command_id": command_id})
                   for device_id, action, command_id in held]
        for start in range(0, len(deletes), BULK_LIMIT):
            await self.slots.bulk_write(deletes[start:start + BULK_LIMIT], ordered=False)

    # -- Idempotency-Key ---------------------------------------------------------------------

    async def find_key(self, user_id: str, key: str, now: datetime) -> Claim | None:
        doc = await self.keys.find_one({"_id": f"{user_id}:{key}", "until": {"$gt": now}})
        return None if doc is None else _claim(doc)

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
        gone = await self.keys.delete_many({"until": {"$lt": now}})
        stale = await self.slots.delete_many({"until": {"$lt": now}})
        return gone.deleted_count + stale.deleted_count
