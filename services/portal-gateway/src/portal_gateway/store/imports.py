"""CSV imports as the gateway sees them: the record made at upload, the progress projected
from `ssp.imports.status` (version-guarded), and the row outcomes, one document per progress
event (`_id` = "<import id>:<version>"), so 200,000 rows never make one huge document."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pymongo import ASCENDING, DESCENDING
from pymongo.errors import DuplicateKeyError
from ssp_contracts.links import ImportProgress, ImportRowOutcome
from ssp_runtime.mongo import Database, apply_if_newer

Doc = dict[str, Any]


def rows_id(import_id: str, version: int) -> str:
    return f"{import_id}:{version:06d}"


class ImportProjection:
    def __init__(self, db: Database) -> None:
        self.coll = db["imports"]
        self.rows = db["import_rows"]

    async def create_indexes(self) -> None:
        await self.coll.create_index([("org_id", ASCENDING), ("created_at", DESCENDING)])

    async def start(self, *, import_id: str, org_id: str, requested_by: str, dry_run: bool,
                    total: int, filename: str | None, now: datetime) -> None:
        """Recorded before the first chunk is sent, so the import can be asked for at once."""
        await self.coll.insert_one({
            "_id": import_id, "org_id": org_id, "requested_by": requested_by, "version": 0,
            "status": "running", "dry_run": dry_run, "total": total, "done": 0, "counts": {},
            "filename": filename, "created_at": now, "gateway_error": None})

    async def fail(self, import_id: str, error: str) -> None:
        """Sending stopped half-way: the import can never complete, whatever arrives later."""
        await self.coll.update_one({"_id": import_id}, {"$set": {"gateway_error": error}})

    async def apply(self, progress: ImportProgress, now: datetime) -> bool:
        if progress.rows:  # rows first: once the status says completed, every row is there
            try:
                await self.rows.insert_one({
                    "_id": rows_id(progress.import_id, progress.version),
                    "rows": [row.model_dump(mode="json") for row in progress.rows]})
            except DuplicateKeyError:
                pass  # the same progress event delivered again
        return await apply_if_newer(self.coll, progress.import_id, progress.version, {
            "org_id": progress.org_id, "status": progress.status, "dry_run": progress.dry_run,
            "total": progress.total, "done": progress.done, "counts": progress.counts,
            "error": progress.error, "updated_at": now})

    async def get(self, org_id: str, import_id: str) -> Doc | None:
        doc = await self.coll.find_one({"_id": import_id})
        return doc if doc is not None and doc.get("org_id") == org_id else None

    async def recent(self, org_id: str, limit: int = 20) -> list[Doc]:
        cursor = self.coll.find({"org_id": org_id}).sort("created_at", DESCENDING).limit(limit)
        return [doc async for doc in cursor]

    async def outcomes(self, import_id: str, version: int) -> list[ImportRowOutcome]:
        """Every row outcome received so far, by line. One read by `_id` per progress event:
        the lookup every MongoDB-wire server answers without a scan."""
        rows: list[ImportRowOutcome] = []
        for v in range(1, version + 1):
            doc = await self.rows.find_one({"_id": rows_id(import_id, v)})
            rows += [ImportRowOutcome.model_validate(row) for row in (doc or {}).get("rows", [])]
        return sorted(rows, key=lambda row: row.line)

    async def outcomes_page(self, import_id: str, version: int, offset: int,
                            limit: int) -> list[ImportRowOutcome]:
        """One page of the report for the web page, reading no further than it needs: chunks
        arrive in file order, each sorted, so their rows follow one another by line."""
        rows: list[ImportRowOutcome] = []
        seen = 0
        for v in range(1, version + 1):
            doc = await self.rows.find_one({"_id": rows_id(import_id, v)})
            stored = (doc or {}).get("rows", [])
            wanted = stored[max(0, offset - seen): max(0, offset + limit - seen)]
            rows += [ImportRowOutcome.model_validate(row) for row in wanted]
            seen += len(stored)
            if seen >= offset + limit:
                break
        return rows

    async def sweep(self, cutoff: datetime) -> int:
        """Imports older than `cutoff` and their rows (no TTL indexes on FerretDB)."""
        old = [doc async for doc in self.coll.find({"created_at": {"$lt": cutoff}},
                                                   {"version": 1})]
        for doc in old:
            for v in range(1, int(doc.get("version", 0)) + 1):
                await self.rows.delete_one({"_id": rows_id(doc["_id"], v)})
            await self.coll.delete_one({"_id": doc["_id"]})
        return len(old)
