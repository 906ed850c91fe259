"""Cutting the parsed rows of an import into `ImportRowsSubmitted` events."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import islice
from typing import TypeAlias, TypeVar

from ssp_contracts.links import ImportRow, ImportRowOutcome, ImportRowsSubmitted

from portal_gateway.domain.errors import CsvFileError

CHUNK_SIZE = 1000
T = TypeVar("T")
ParsedRow: TypeAlias = ImportRow | ImportRowOutcome


def chunked(rows: Iterable[T], size: int = CHUNK_SIZE) -> Iterator[list[T]]:
    if size < 1:
        raise ValueError("chunk size must be at least 1")
    it = iter(rows)
    while chunk := list(islice(it, size)):
        yield chunk


def chunk_count(total_rows: int, size: int = CHUNK_SIZE) -> int:
    """At least one: an import without valid rows still sends one (empty) chunk, so the
    consumer sees the import and can complete it."""
    return max(1, -(-total_rows // size))


def submissions(
    rows: Iterable[ParsedRow],
    *,
    import_id: str,
    org_id: str,
    requested_by: str,
    total_rows: int,
    dry_run: bool = False,
    size: int = CHUNK_SIZE,
) -> Iterator[ImportRowsSubmitted]:
    """The events of the second pass; `total_rows` is the row count of the first pass.

    Rows the parser decided itself (`ImportRowOutcome`) travel in `prejudged`, so a chunk
    holds at most `size` rows of either kind and no chunk outgrows a Kafka record however
    many rows are invalid. Raises `csv.changed` if the upload does not have the rows the first
    pass counted (it was replaced between passes), before a chunk beyond the announced count
    is produced.
    """
    chunks = chunk_count(total_rows, size)
    sent = 0
    index = -1
    for index, chunk in enumerate(chunked(rows, size)):
        sent += len(chunk)
        if sent > total_rows:
            raise _changed(total_rows)
        yield ImportRowsSubmitted(
            org_id=org_id, import_id=import_id, chunk=index, chunks=chunks,
            total_rows=total_rows, dry_run=dry_run, requested_by=requested_by,
            rows=[row for row in chunk if isinstance(row, ImportRow)],
            prejudged=[row for row in chunk if isinstance(row, ImportRowOutcome)],
        )
    if sent != total_rows:
        raise _changed(total_rows)
    if index < 0:
        yield ImportRowsSubmitted(
            org_id=org_id, import_id=import_id, chunk=0, chunks=1, total_rows=0,
            dry_run=dry_run, requested_by=requested_by, rows=[],
        )


def _changed(expected: int) -> CsvFileError:
    return CsvFileError("csv.changed", f"the file no longer has the {expected} rows first counted")
