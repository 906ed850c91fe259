"""Sealed one-time passcodes, as the status topic delivered them (never opened at rest).

One document per command, written once: a redelivered or replayed status event finds it and
changes nothing, so a passcode once shown (its sealed value removed) never comes back.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pymongo import ASCENDING
from pymongo.errors import DuplicateKeyError
from ssp_contracts.commands import CommandStatusChanged
from ssp_runtime.mongo import Database

from portal_gateway.domain.passcode_secrets import StoredPasscode


def _stored(doc: dict[str, Any]) -> StoredPasscode:
    return StoredPasscode(
        command_id=doc["_id"], org_id=doc["org_id"], device_id=doc["device_id"],
        requested_by=doc["requested_by"], acknowledged_at=doc["acknowledged_at"],
        sealed=doc.get("sealed"), revealed_at=doc.get("revealed_at"))


class PasscodeSecrets:
    def __init__(self, db: Database) -> None:
        self.coll = db["passcode_secrets"]

    async def create_indexes(self) -> None:
        await self.coll.create_index([("device_id", ASCENDING), ("requested_by", ASCENDING)])

    async def keep(self, event: CommandStatusChanged) -> bool:
        """Store the sealed value once; False when this command's passcode is known already."""
        assert event.result is not None and event.result.sealed_secret
        try:
            await self.coll.insert_one({
                "_id": event.command_id, "org_id": event.org_id, "device_id": event.device_id,
                "requested_by": event.requested_by, "acknowledged_at": event.occurred_at,
                "sealed": event.result.sealed_secret, "revealed_at": None})
        except DuplicateKeyError:
            return False
        return True

    async def get(self, org_id: str, command_id: str) -> StoredPasscode | None:
        doc = await self.coll.find_one({"_id": command_id, "org_id": org_id})
        return None if doc is None else _stored(doc)

    async def take(self, org_id: str, command_id: str, user_id: str, *, now: datetime,
                   acknowledged_after: datetime) -> str | None:
        """The sealed value, removed and marked shown in one atomic step; None if someone
        (a concurrent request) took it first or it expired meanwhile."""
        before = await self.coll.find_one_and_update(
            {"_id": command_id, "org_id": org_id, "requested_by": user_id,
             "revealed_at": None, "sealed": {"$ne": None},
             "acknowledged_at": {"$gt": acknowledged_after}},
            {"$set": {"revealed_at": now, "sealed": None}})
        return None if before is None else str(before["sealed"])

    async def waiting_on(self, org_id: str, device_id: str, user_id: str, *,
                         acknowledged_after: datetime) -> list[StoredPasscode]:
        """Passcodes of this user's commands on the device not shown yet, newest first."""
        cursor = self.coll.find({
            "org_id": org_id, "device_id": device_id, "requested_by": user_id,
            "revealed_at": None, "sealed": {"$ne": None},
            "acknowledged_at": {"$gt": acknowledged_after},
        }).sort("acknowledged_at", -1)
        return [_stored(doc) async for doc in cursor]

    async def shown_since(self, org_id: str, device_id: str, user_id: str, *,
                          revealed_after: datetime) -> list[StoredPasscode]:
        """Passcodes of this user's commands on the device shown after the given time."""
        cursor = self.coll.find({
            "org_id": org_id, "device_id": device_id, "requested_by": user_id,
            "revealed_at": {"$gt": revealed_after},
        }).sort("revealed_at", -1)
        return [_stored(doc) async for doc in cursor]

    async def forget_expired(self, acknowledged_before: datetime) -> int:
        """Remove sealed values nobody looked at in time (expiry is a field plus this sweep)."""
        result = await self.coll.update_many(
            {"sealed": {"$ne": None}, "acknowledged_at": {"$lte": acknowledged_before}},
            {"$set": {"sealed": None}})
        return result.modified_count
