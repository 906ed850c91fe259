"""Lists of ids kept under a key, one document per key (`_id` = the key): e.g. per device,
the commands that may still be pending.

Asked by a secondary field (`device_id` and `status`), FerretDB reads every document of a
collection; a read by `_id` uses its index on every MongoDB-wire server. A list is a hint,
never the truth: writers add an id before storing what it names and remove it after that
ended, and readers load what the ids name and keep what still qualifies (a crash in between
leaves an id too many, never one too few).
"""

from __future__ import annotations

from collections.abc import Callable

from pymongo.asynchronous.collection import AsyncCollection

from ssp_runtime.mongo import Database, Doc


class IdLists:
    def __init__(self, db: Database, collection: str) -> None:
        self.col = db[collection]

    async def add(self, key: str, item_id: str) -> None:
        await self.col.update_one({"_id": key}, {"$addToSet": {"ids": item_id}}, upsert=True)

    async def remove(self, key: str, item_ids: list[str]) -> None:
        # $pullAll, not $pull: FerretDB v1 has only the former.
        await self.col.update_one({"_id": key}, {"$pullAll": {"ids": item_ids}})

    async def ids(self, key: str) -> list[str]:
        doc = await self.col.find_one({"_id": key})
        return list((doc or {}).get("ids") or [])

    async def load(self, key: str, collection: AsyncCollection[Doc],
                   still: Callable[[Doc], bool]) -> list[Doc]:
        """The documents of `collection` the key's ids name that still qualify (`still`); ids
        of documents that no longer do leave the list. An id whose document is missing stays:
        its writer lists it before storing the document."""
        ids = await self.ids(key)
        if not ids:
            return []
        docs = [d async for d in collection.find({"_id": {"$in": ids}})]
        kept = [d for d in docs if still(d)]
        if ended := sorted({d["_id"] for d in docs} - {d["_id"] for d in kept}):
            await self.remove(key, ended)
        return kept

    async def backfill(self, collection: AsyncCollection[Doc], query: Doc, key_field: str) -> int:
        """Lists every document `query` matches under its `key_field`: one scan at start-up,
        for documents stored before the lists existed or an id lost with a crash."""
        found = [(d[key_field], d["_id"])
                 async for d in collection.find(query, {key_field: 1})]
        for key, item_id in found:
            await self.add(key, item_id)
        return len(found)
