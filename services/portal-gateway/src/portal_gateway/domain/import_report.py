"""The downloadable per-row report of an import, as CSV text produced in pieces."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator

from ssp_contracts.links import ImportRowOutcome

REPORT_HEADER = ("line", "device_key", "user_key", "outcome", "detail")
# Spreadsheets run a cell starting with these as a formula (OWASP "CSV injection").
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
ROWS_PER_PIECE = 500


def neutralise(cell: str) -> str:
    """A leading quote makes a spreadsheet show the text instead of evaluating it."""
    return "'" + cell if cell.startswith(FORMULA_TRIGGERS) else cell


def report_row(outcome: ImportRowOutcome) -> list[str]:
    return [
        str(outcome.line),
        neutralise(outcome.device_key),
        neutralise(outcome.user_key),
        outcome.outcome,
        neutralise(outcome.detail or ""),
    ]


def report_csv(outcomes: Iterable[ImportRowOutcome], *, bom: bool = True,
               rows_per_piece: int = ROWS_PER_PIECE) -> Iterator[str]:
    """Header first, then the outcomes in the order given (the caller sorts them by line).

    `bom` is on because Excel reads a UTF-8 file without one in the local code page and
    garbles umlauts in names.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer)  # RFC 4180: comma, CRLF, quotes doubled
    if bom:
        buffer.write("\ufeff")
    writer.writerow(REPORT_HEADER)
    pending = 0
    for outcome in outcomes:
        writer.writerow(report_row(outcome))
        pending += 1
        if pending == rows_per_piece:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
            pending = 0
    if tail := buffer.getvalue():
        yield tail
