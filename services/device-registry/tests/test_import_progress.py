"""An import's progress, chunk by chunk: counted once, completed after the last chunk."""

import pytest
from device_registry.domain.errors import DomainError
from device_registry.domain.import_progress import record_chunk, start_job
from ssp_contracts.links import ImportRowOutcome, ImportRowsSubmitted


def chunk(index: int, chunks: int = 2, org: str = "acme") -> ImportRowsSubmitted:
    return ImportRowsSubmitted(org_id=org, import_id="imp-1", chunk=index, chunks=chunks,
                               total_rows=3, requested_by="admin-1", rows=[])


def outcome(line: int, kind: str = "linked") -> ImportRowOutcome:
    return ImportRowOutcome(line=line, device_key="S", user_key="u", outcome=kind)


def test_chunks_count_once_and_the_last_one_completes():
    job = start_job(chunk(0))
    job, first = record_chunk(job, chunk(0), [outcome(3), outcome(2, "invalid")])
    assert (first.version, first.status, first.done, first.total) == (1, "running", 2, 3)
    assert [row.line for row in first.rows] == [2, 3]  # by line
    assert job.has(0) and not job.has(1)
    with pytest.raises(DomainError):
        record_chunk(job, chunk(0), [outcome(2)])  # the handler skips it before this
    job, last = record_chunk(job, chunk(1), [outcome(4, "unknown_user")])
    assert (last.version, last.status, last.done) == (2, "completed", 3)
    assert last.counts["linked"] == 1 and last.counts["invalid"] == 1
    assert last.counts["unknown_user"] == 1 and last.counts["relinked"] == 0


def test_a_chunk_of_another_org_is_refused():
    with pytest.raises(DomainError) as caught:
        record_chunk(start_job(chunk(0)), chunk(1, org="other"), [])
    assert caught.value.code == "import.mismatch"

