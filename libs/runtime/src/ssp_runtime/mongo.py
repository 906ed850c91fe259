"""MongoDB access shared by every store: the client factory and the version guard.

Works on MongoDB and on FerretDB v1: single-document atomicity only (no transactions, change
streams, TTL indexes or $lookup)."""

from __future__ import annotations

import asyncio
from typing import Any

from pymongo import AsyncMongoClient
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from ssp_runtime.settings import ServiceSettings


def make_client(settings: ServiceSettings, service: str) -> AsyncMongoClient[dict[str, Any]]:
    return AsyncMongoClient(
        settings.mongodb_url.get_secret_value(),
        tz_aware=True,
        appname=service,
        serverSelectionTimeoutMS=5000,
        connectTimeoutMS=5000,
    )


async def apply_if_newer(collection: AsyncCollection[dict[str, Any]], doc_id: str, version: int,
                         fields: dict[str, Any]) -> bool:
    """Store `fields` (with `version`) unless the stored version is the same or newer.

    Redelivered or reordered versioned events are then harmless. The guarded upsert either
    matches an older document, inserts a new one, or collides with the newer one on `_id`
    (DuplicateKeyError): that collision is the "already have it" answer.
    """
    try:
        result = await collection.update_one(
            {"_id": doc_id, "version": {"$lt": version}},
            {"$set": {**fields, "version": version}},
            upsert=True,
        )
    except DuplicateKeyError:
        return False
    return result.modified_count == 1 or result.upserted_id is not None


# FerretDB v1 applies an update by reading the document and writing it back in two steps, so
# two concurrent updates of one document can lose one of them (measured: 600 concurrent $inc
# from three connections left 344). MongoDB itself is atomic per document. Serialising this
# process's writes per collection makes the local stack as safe as MongoDB for one instance of
# a service; `SSP_MONGODB_SERIALIZE_WRITES=false` turns it off where MongoDB is used.
_WRITE_METHODS = frozenset({
    "update_one", "update_many", "replace_one", "delete_one", "delete_many",
    "find_one_and_update", "find_one_and_replace", "find_one_and_delete", "bulk_write",
})


class SerializedCollection:
    def __init__(self, collection: AsyncCollection[dict[str, Any]], lock: asyncio.Lock) -> None:
        self._collection = collection
        self._lock = lock

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._collection, name)
        if name not in _WRITE_METHODS:
            return attr

        async def locked(*args: Any, **kwargs: Any) -> Any:
            async with self._lock:
                return await attr(*args, **kwargs)

        return locked


class SerializedDatabase:
    """An AsyncDatabase whose collections serialise their read-modify-write operations."""

    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self._db = db
        self._locks: dict[str, asyncio.Lock] = {}

    def __getitem__(self, name: str) -> Any:
        lock = self._locks.setdefault(name, asyncio.Lock())
        return SerializedCollection(self._db[name], lock)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._db, name)
