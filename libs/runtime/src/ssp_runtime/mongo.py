"""MongoDB access shared by every store: the client factory and the version guard.

Works on MongoDB and on FerretDB v1: single-document atomicity only (no transactions, change
streams, TTL indexes or $lookup)."""

from __future__ import annotations

from typing import Any

from pymongo import AsyncMongoClient
from pymongo.asynchronous.collection import AsyncCollection
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
