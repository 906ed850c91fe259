"""CSV link imports: the spooled upload is checked whole first (nothing is sent for a file
that cannot be imported), then read again and sent to the device-registry in chunks on
`ssp.links.requests`, keyed by the import id so they stay in order.

Parsing is the gateway's pure domain (`domain/csv_*`, `import_chunks`, `import_report`): the
gateway holds the upload; the registry decides and applies the rows.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator, Callable, Generator
from datetime import datetime
from pathlib import Path
from typing import Any

from ssp_contracts.links import ImportRowsSubmitted
from ssp_contracts.topics import LINKS_REQUESTS

from portal_gateway.command_requests import PUBLISH_ERRORS, Publisher
from portal_gateway.domain.access import Caller
from portal_gateway.domain.csv_import import ImportLimits, ImportScan, read_csv, scan
from portal_gateway.domain.errors import CsvFileError, NotFound, PortalError, Unavailable
from portal_gateway.domain.import_chunks import submissions
from portal_gateway.domain.import_report import report_csv
from portal_gateway.http.uploads import SpooledUpload, too_large
from portal_gateway.store.imports import ImportProjection

log = logging.getLogger(__name__)


class UnusableFile(PortalError):
    """The file as a whole cannot be imported (header, encoding, limits, broken quoting)."""

    status = 422
    title = "File cannot be imported"


def file_problem(error: CsvFileError, max_bytes: int) -> PortalError:
    if error.code == "csv.too_large":
        return too_large(max_bytes)
    return UnusableFile(error.code, error.message, line=error.line)


def _scan_file(path: Path, limits: ImportLimits) -> ImportScan:
    with path.open("rb") as source:
        return scan(source, limits)


def _chunk_events(path: Path, limits: ImportLimits,
                  **fields: Any) -> Generator[ImportRowsSubmitted, None, None]:
    with path.open("rb") as source:
        yield from submissions(read_csv(source, limits), **fields)


def import_view(doc: dict[str, Any]) -> dict[str, Any]:
    failed = bool(doc.get("gateway_error")) or doc.get("status") == "failed"
    return {"import_id": doc["_id"], "status": "failed" if failed else doc["status"],
            "total": doc["total"], "done": doc["done"], "counts": doc.get("counts") or {},
            "dry_run": doc["dry_run"], "filename": doc.get("filename"),
            "error": doc.get("gateway_error") or doc.get("error")}


class ImportDesk:
    def __init__(self, imports: ImportProjection, publisher: Publisher, limits: ImportLimits,
                 clock: Callable[[], datetime]) -> None:
        self.imports = imports
        self.publisher = publisher
        self.limits = limits
        self.clock = clock

    async def submit(self, caller: Caller, upload: SpooledUpload, *, dry_run: bool) -> str:
        """Checks the whole file, then sends it; returns the import id."""
        try:  # CPU-bound: in a thread, so other requests are served meanwhile
            found = await asyncio.to_thread(_scan_file, upload.path, self.limits)
        except CsvFileError as exc:
            raise file_problem(exc, self.limits.max_bytes) from None
        import_id = f"imp-{uuid.uuid4().hex}"
        await self.imports.start(import_id=import_id, org_id=caller.org_id,
                                 requested_by=caller.user_id, dry_run=dry_run, total=found.rows,
                                 filename=upload.filename, now=self.clock())
        events = _chunk_events(upload.path, self.limits, import_id=import_id,
                               org_id=caller.org_id, requested_by=caller.user_id,
                               total_rows=found.rows, dry_run=dry_run)
        try:
            while (event := await asyncio.to_thread(next, events, None)) is not None:
                await self.publisher.publish(LINKS_REQUESTS, event, key=import_id)
        except (CsvFileError, *PUBLISH_ERRORS) as exc:
            log.warning("import not sent whole", extra={"import_id": import_id,
                                                        "error": repr(exc)})
            await self.imports.fail(import_id, "Not every row could be sent; import the file "
                                               "again.")
            if isinstance(exc, CsvFileError):
                raise UnusableFile(exc.code, exc.message) from None
            raise Unavailable("broker.unavailable",
                              "The import could not be sent: the message broker is not "
                              "reachable. Import the file again.") from exc
        finally:
            events.close()  # closes the file even when sending stopped half-way
        return import_id

    async def status(self, caller: Caller, import_id: str) -> dict[str, Any]:
        return import_view(await self._own(caller, import_id))

    async def report(self, caller: Caller, import_id: str) -> AsyncIterator[str]:
        """The per-row report as CSV pieces, rows by line, formulas neutralised."""
        doc = await self._own(caller, import_id)
        outcomes = await self.imports.outcomes(import_id, int(doc.get("version", 0)))

        async def pieces() -> AsyncIterator[str]:
            for piece in report_csv(outcomes):
                yield piece
        return pieces()

    async def _own(self, caller: Caller, import_id: str) -> dict[str, Any]:
        doc = await self.imports.get(caller.org_id, import_id)
        if doc is None:  # another org's import does not exist for this caller
            raise NotFound("import.not_found", "No such import in your organisation.")
        return doc
