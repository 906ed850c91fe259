"""Lookup keys as documents of their own, `_id` = "org|kind|value" -> the entity's id.

A CSV chunk resolves a thousand serial numbers or usernames at once. Asking the entity
collection by a secondary field scans it on FerretDB; asking by `_id` is the one lookup every
MongoDB-wire server answers from its primary index. An index entry may be stale (a serial
moved to another device, a username was renamed), so readers check the entity they load.
"""

from __future__ import annotations

from typing import Any

from pymongo import InsertOne
from pymongo.errors import BulkWriteError, DuplicateKeyError
from ssp_runtime.mongo import Database

Doc = dict[str, Any]


def key_id(org_id: str, kind: str, value: str) -> str:
    return f"{org_id}|{kind}|{value}"


class KeyIndex:
    def __init__(self, db: Database, name: str) -> None:
        self.col = db[name]

    async def put(self, org_id: str, entity_id: str, keys: dict[str, str]) -> None:
        """Point each key at `entity_id` (insert first: the common case, cheap everywhere)."""
        for kind, value in keys.items():
            _id = key_id(org_id, kind, value)
            try:
                await self.col.insert_one({"_id": _id, "entity_id": entity_id})
            except DuplicateKeyError:
                await self.col.update_one({"_id": _id}, {"$set": {"entity_id": entity_id}})

    async def lookup(self, org_id: str, kind: str, values: list[str]) -> dict[str, str]:
        """value -> entity id, for the values that have an entry."""
        ids = [key_id(org_id, kind, value) for value in dict.fromkeys(values)]
        if not ids:
            return {}
        prefix = len(key_id(org_id, kind, ""))
        cursor = self.col.find({"_id": {"$in": ids}})
        return {doc["_id"][prefix:]: doc["entity_id"] async for doc in cursor}

    async def backfill(self, entries: list[tuple[str, str, str, str]]) -> int:
        """Add missing entries (org, kind, value, entity id), e.g. for data older than the
        index; existing entries are left alone."""
        existing = {doc["_id"] async for doc in self.col.find({}, {"_id": 1})}
        missing = {key_id(o, k, v): e for o, k, v, e in entries}.items()
        ops = [InsertOne({"_id": _id, "entity_id": e}) for _id, e in missing
               if _id not in existing]
        if not ops:
            return 0
        try:
            await self.col.bulk_write(ops, ordered=False)
        except BulkWriteError:
            pass  # written meanwhile by a live update: that one is newer anyway
        return len(ops)
