"""MongoDB access shared by every store: the client factory and the version guard.

Works on MongoDB and on FerretDB v1: single-document atomicity only (no transactions, change
streams, TTL indexes or $lookup)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, cast

from pymongo import AsyncMongoClient, UpdateOne, monitoring
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from ssp_runtime.settings import ServiceSettings

Doc = dict[str, Any]


def make_client(settings: ServiceSettings, service: str,
                listeners: Sequence[monitoring.CommandListener] = (),
                ) -> AsyncMongoClient[dict[str, Any]]:
    return AsyncMongoClient(
        settings.mongodb_url.get_secret_value(),
        tz_aware=True,
        appname=service,
        serverSelectionTimeoutMS=5000,
        connectTimeoutMS=5000,
        event_listeners=list(listeners),
    )


async def apply_if_newer(collection: AsyncCollection[Doc], doc_id: str, version: int,
                         fields: Doc) -> bool:
    """Store `fields` (with `version`) unless the stored version is the same or newer.

    Redelivered or reordered versioned events are then harmless. The guarded upsert either
    matches an older document, inserts a new one, or collides with the newer one on `_id`
    (DuplicateKeyError): that collision is the "already have it" answer.
    """
    if isinstance(collection, SerializedCollection):
        # Read by `_id` and decide here, under the lock: FerretDB would scan for `version`.
        raw, lock = collection._collection, collection._lock
        async with lock:
            stored = await raw.find_one({"_id": doc_id}, {"version": 1})
            if stored is not None and stored.get("version", 0) >= version:
                return False
            await raw.update_one({"_id": doc_id}, {"$set": {**fields, "version": version}},
                                 upsert=True)
            return True
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
# FerretDB v1 keeps a database connection open per update of one `update` command until the
# command ends and hangs at its pool size (100): bulk writes go in slices of this size.
BULK_LIMIT = 50

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


class Database:
    """This process's database, the one every store is given.

    With `serialize_writes` (FerretDB v1, see above) each collection's read-modify-write
    operations go one at a time, and the operations whose safe form differs on FerretDB
    (guarded updates, removing leading array entries) take it; nothing outside this module
    needs to know which mode is on, except the outbox asking whether this process is the only
    writer (then it needs no lease)."""

    def __init__(self, db: AsyncDatabase[Doc], *, serialize_writes: bool) -> None:
        self._db = db
        self._serialize = serialize_writes
        self._locks: dict[str, asyncio.Lock] = {}

    @property
    def name(self) -> str:
        return self._db.name

    @property
    def single_writer(self) -> bool:
        """Writes are serialised in this process, which is assumed to be their only writer."""
        return self._serialize

    def __getitem__(self, name: str) -> AsyncCollection[Doc]:
        if not self._serialize:
            return self._db[name]
        # The proxy answers every AsyncCollection call (writes under the lock).
        return cast(AsyncCollection[Doc], SerializedCollection(self._db[name], self._lock(name)))

    async def command(self, command: str) -> Doc:
        return await self._db.command(command)

    def _lock(self, name: str) -> asyncio.Lock:
        return self._locks.setdefault(name, asyncio.Lock())

    @asynccontextmanager
    async def _exclusive(self, name: str) -> AsyncIterator[AsyncCollection[Doc]]:
        """The raw collection while this process's other writes to it wait."""
        async with self._lock(name):
            yield self._db[name]

    async def guarded_update(self, collection: str, doc_id: Any, condition: Doc,
                             update: Doc) -> bool:
        """`update_one({"_id": doc_id, **condition}, update)`, True if it applied.

        FerretDB v1 pushes only a filter on `_id` alone down to its storage; any further
        condition makes it read the whole collection (measured: 1.3 ms by `_id` against 46 ms
        with one more condition at 2,000 documents). Where this process serialises its writes
        anyway, the condition is checked on the document read by `_id`, under the collection's
        lock, which is just as atomic and stays fast as collections grow. On MongoDB the
        filter does the work.
        """
        if not self._serialize:
            result = await self._db[collection].update_one({"_id": doc_id, **condition}, update)
            return bool(result.modified_count)
        async with self._exclusive(collection) as raw:
            doc = await raw.find_one({"_id": doc_id})
            if doc is None or not matches(doc, condition):
                return False
            result = await raw.update_one({"_id": doc_id}, update)
            return bool(result.modified_count)

    async def guarded_updates(self, collection: str, changes: Sequence[GuardedUpdate]) -> set[Any]:
        """Many `guarded_update`s in few round trips; returns the ids not updated (their
        condition no longer held). On MongoDB one bulk write with the conditions; when it
        did not update every document, the documents are read back and those not matching
        their change's `applied` condition were not updated."""
        if not changes:
            return set()
        if self._serialize:
            async with self._exclusive(collection) as raw:
                stored = {d["_id"]: d async for d in raw.find(
                    {"_id": {"$in": [c.doc_id for c in changes]}},
                    _fields_of(c.condition for c in changes))}
                fresh = [c for c in changes
                         if c.doc_id in stored and matches(stored[c.doc_id], c.condition)]
                for start in range(0, len(fresh), BULK_LIMIT):
                    await raw.bulk_write([UpdateOne({"_id": c.doc_id}, c.update)
                                          for c in fresh[start:start + BULK_LIMIT]],
                                         ordered=False)
                return {c.doc_id for c in changes} - {c.doc_id for c in fresh}
        col = self._db[collection]
        result = await col.bulk_write(
            [UpdateOne({"_id": c.doc_id, **c.condition}, c.update) for c in changes],
            ordered=False)
        if result.modified_count == len(changes):
            return set()
        stored = {d["_id"]: d async for d in col.find(
            {"_id": {"$in": [c.doc_id for c in changes]}},
            _fields_of(c.applied for c in changes))}
        return {c.doc_id for c in changes
                if c.doc_id not in stored or not matches(stored[c.doc_id], c.applied)}

    async def drop_leading(self, collection: str, field: str,
                           ids_by_doc: Mapping[Any, list[str]]) -> None:
        """Remove from each document's array `field` the entries with these `id`s, which the
        caller read at its front, keeping any appended since."""
        if not self._serialize:
            # Pop each entry only while it is still first: atomic on any MongoDB server.
            col = self._db[collection]

            async def pop(doc_id: Any, ids: list[str]) -> None:
                for entry_id in ids:
                    await col.update_one({"_id": doc_id, f"{field}.0.id": entry_id},
                                         {"$pop": {field: -1}})

            await asyncio.gather(*(pop(doc_id, ids) for doc_id, ids in ids_by_doc.items()))
            return
        # FerretDB v1 has no $pull by a sub-document condition: rewrite the array under the
        # collection's lock, which every writer of this process takes.
        async with self._exclusive(collection) as raw:
            current = {d["_id"]: d.get(field) or []
                       async for d in raw.find({"_id": {"$in": list(ids_by_doc)}}, {field: 1})}
            updates = []
            for doc_id, ids in ids_by_doc.items():
                gone = set(ids)
                entries = current.get(doc_id, [])
                kept = [e for e in entries if e.get("id") not in gone]
                if len(kept) != len(entries):
                    updates.append(UpdateOne({"_id": doc_id}, {"$set": {field: kept}}))
            for start in range(0, len(updates), BULK_LIMIT):
                await raw.bulk_write(updates[start:start + BULK_LIMIT], ordered=False)


def _fields_of(conditions: Iterable[Doc]) -> dict[str, int]:
    """A projection of the top-level fields some conditions look at (`$or` looked into)."""
    fields: dict[str, int] = {}
    for condition in conditions:
        for path, wanted in condition.items():
            if path == "$or":
                fields |= _fields_of(wanted)
            else:
                fields[path.split(".", 1)[0]] = 1
    return fields


@dataclass(frozen=True)
class GuardedUpdate:
    doc_id: Any
    condition: Doc  # what the stored document must match for the update to apply
    update: Doc
    applied: Doc  # what the document matches once this update applied (read back on MongoDB)


def matches(doc: dict[str, Any], condition: dict[str, Any]) -> bool:
    """The subset of query semantics the stores' guards use: equality on dotted paths (array
    positions included), `$exists`, `$lt`, `$lte`, `$in`, and `$or` of such conditions."""
    for path, wanted in condition.items():
        if path == "$or":
            if not any(matches(doc, alternative) for alternative in wanted):
                return False
            continue
        found, value = _lookup(doc, path)
        if isinstance(wanted, dict) and wanted and all(k.startswith("$") for k in wanted):
            for op, arg in wanted.items():
                if op == "$exists" and found != bool(arg):
                    return False
                if op == "$lt" and not (found and value is not None and value < arg):
                    return False
                if op == "$lte" and not (found and value is not None and value <= arg):
                    return False
                if op == "$in" and not (found and value in arg):
                    return False
        elif not found or value != wanted:
            return False
    return True


def _lookup(doc: Any, path: str) -> tuple[bool, Any]:
    current = doc
    for part in path.split("."):
        if isinstance(current, dict) and part in current:
            current = current[part]
        elif isinstance(current, list) and part.isdigit() and int(part) < len(current):
            current = current[int(part)]
        else:
            return False, None
    return True, current
