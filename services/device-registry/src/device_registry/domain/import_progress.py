"""An import's progress as the registry records it, chunk by chunk.

A chunk counts once, by its index: a redelivered chunk finds its index recorded and changes
nothing. The import completes when every announced chunk is recorded.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from pydantic import BaseModel, ConfigDict
from ssp_contracts.links import ImportProgress, ImportRowOutcome, ImportRowsSubmitted

from device_registry.domain.errors import DomainError
from device_registry.domain.import_outcomes import count_outcomes


class ImportJob(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    import_id: str
    org_id: str
    requested_by: str
    dry_run: bool
    total: int
    chunks: int
    chunks_done: tuple[int, ...] = ()
    done: int = 0
    counts: dict[str, int]
    version: int = 0  # the version of the last ImportProgress published
    status: Literal["running", "completed", "failed"] = "running"

    def has(self, chunk: int) -> bool:
        return chunk in self.chunks_done


def start_job(first: ImportRowsSubmitted) -> ImportJob:
    """The job as the first chunk that arrives announces it (any chunk carries the totals)."""
    return ImportJob(import_id=first.import_id, org_id=first.org_id,
                     requested_by=first.requested_by, dry_run=first.dry_run,
                     total=first.total_rows, chunks=first.chunks, counts=count_outcomes([]))


def record_chunk(job: ImportJob, chunk: ImportRowsSubmitted,
                 outcomes: Iterable[ImportRowOutcome]) -> tuple[ImportJob, ImportProgress]:
    """The job with `chunk` counted, and the progress event that says so."""
    if (chunk.org_id, chunk.import_id) != (job.org_id, job.import_id):
        raise DomainError("import.mismatch",
                          f"chunk of {chunk.org_id}/{chunk.import_id} for {job.org_id}/"
                          f"{job.import_id}")
    if job.has(chunk.chunk):
        raise DomainError("import.chunk_recorded", f"chunk {chunk.chunk} is already counted")
    rows = sorted(outcomes, key=lambda outcome: outcome.line)
    chunks_done = tuple(sorted((*job.chunks_done, chunk.chunk)))
    after = job.model_copy(update={
        "chunks_done": chunks_done,
        "done": job.done + len(rows),
        "counts": count_outcomes(rows, job.counts),
        "version": job.version + 1,
        "status": "completed" if len(chunks_done) >= job.chunks else "running",
    })
    progress = ImportProgress(
        org_id=job.org_id, import_id=job.import_id, version=after.version, status=after.status,
        dry_run=job.dry_run, total=job.total, done=after.done, counts=after.counts, rows=rows)
    return after, progress
