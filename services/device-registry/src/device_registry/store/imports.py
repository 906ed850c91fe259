"""Import jobs: one small document per import, its progress events in the same update."""

from __future__ import annotations

import logging

from pymongo.errors import DuplicateKeyError
from ssp_contracts.links import ImportProgress
from ssp_contracts.topics import IMPORTS_STATUS
from ssp_runtime.mongo import Database
from ssp_runtime.outbox import OutboxRelay, outbox_entry, push_outbox

from device_registry.domain.import_progress import ImportJob

IMPORTS = "imports"
log = logging.getLogger(__name__)
_FIELDS = frozenset(ImportJob.model_fields)


class ImportStore:
    def __init__(self, db: Database, outbox: OutboxRelay, source: str) -> None:
        self.db = db
        self.col = db[IMPORTS]
        self.outbox = outbox
        self.source = source
        outbox.watch(IMPORTS)

    async def get(self, import_id: str) -> ImportJob | None:
        doc = await self.col.find_one({"_id": import_id})
        return None if doc is None else ImportJob.model_validate(
            {k: v for k, v in doc.items() if k in _FIELDS})

    async def save(self, before: ImportJob | None, after: ImportJob,
                   progress: ImportProgress) -> bool:
        """False when another write got there first (the caller reloads and tries again)."""
        entry = outbox_entry(IMPORTS_STATUS, progress, source=self.source)
        fields = after.model_dump(mode="python")
        if before is None:
            try:
                await self.col.insert_one({"_id": after.import_id, **fields, "_outbox": [entry]})
            except DuplicateKeyError:
                return False
        elif not await self.db.guarded_update(IMPORTS, after.import_id,
                                              {"version": before.version},
                                              {"$set": fields, "$push": push_outbox(entry)}):
            return False
        try:
            # Published here rather than queued: behind an import's thousands of device
            # snapshots in the relay's queues, progress would reach the gateway minutes late.
            await self.outbox.flush(IMPORTS, after.import_id)
        except Exception as exc:  # the relay tries again; the progress is safely stored
            log.warning("import progress not published yet", extra={
                "import_id": after.import_id, "error": repr(exc)})
            self.outbox.kick(IMPORTS, after.import_id)
        return True
