"""Applying the versioned migrations of `domain.migrations`, safe for concurrent starts.

Every seeded document has a fixed `_id` and is written with an upsert, and each applied
migration is recorded under its version as `_id`: two instances starting at once write the same
documents twice and still end with exactly one of each.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime
from typing import Any

from pymongo.errors import OperationFailure
from ssp_runtime.mongo import Database

from permission_service.domain.migrations import MIGRATIONS_COLLECTION, Migration, record
from permission_service.store.duplicates import is_duplicate_key

Doc = dict[str, Any]
StoredForm = Callable[[Mapping[str, Any]], Doc]


class MigrationStore:
    def __init__(self, db: Database, stored_forms: Mapping[str, StoredForm]) -> None:
        self.db = db
        self.applied = db[MIGRATIONS_COLLECTION]
        # Per collection: how a seed document is stored (its `_id`, derived index keys).
        self.stored_forms = stored_forms

    async def applied_versions(self) -> list[int]:
        return [doc["_id"] async for doc in self.applied.find({}, {"_id": 1})]

    async def apply(self, migration: Migration, now: datetime) -> None:
        collection = self.db[migration.collection]
        stored_form = self.stored_forms.get(migration.collection, _keyed_by(migration.key_field))
        for _filter, document in migration.upserts():
            doc = stored_form(document)
            await _upsert(collection.replace_one, {"_id": doc["_id"]}, doc)
        # $setOnInsert: a second instance does not move `applied_at`.
        await _upsert(self.applied.update_one, {"_id": migration.version},
                      {"$setOnInsert": record(migration, now)})


async def _upsert(write: Callable[..., Awaitable[object]], query: Doc, update: Doc) -> None:
    try:
        await write(query, update, upsert=True)
    except OperationFailure as error:
        if not is_duplicate_key(error):
            raise
        # Another instance inserted the document between our match and insert: now it matches.
        await write(query, update, upsert=True)


def _keyed_by(key_field: str) -> StoredForm:
    return lambda document: {**document, "_id": document[key_field]}
