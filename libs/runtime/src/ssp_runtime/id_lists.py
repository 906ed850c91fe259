"""Lists of ids kept under a key, one document per key (`_id` = the key): e.g. per device,
the commands that may still be pending.

Asked by a secondary field (`device_id` and `status`), FerretDB reads every document of a
collection; a read by `_id` uses its index on every MongoDB-wire server. A list is a hint,
never the truth: writers add an id before storing what it names and remove it after that
ended, and readers load what the ids name and keep what still qualifies (a crash in between
leaves an id too many, never one too few).
"""

from __future__ import annotations

from typing import Any


class IdLists:
    def __init__(self, db: Any, collection: str) -> None:
        self.col = db[collection]

    async def add(self, key: str, item_id: str) -> None:
        await self.col.update_one({"_id": key}, {"$addToSet": {"ids": item_id}}, upsert=True)

    async def remove(self, key: str, item_ids: list[str]) -> None:
        # $pullAll, not $pull: FerretDB v1 has only the former.
        await self.col.update_one({"_id": key}, {"$pullAll": {"ids": item_ids}})

    async def ids(self, key: str) -> list[str]:
        doc = await self.col.find_one({"_id": key})
        return list((doc or {}).get("ids") or [])
