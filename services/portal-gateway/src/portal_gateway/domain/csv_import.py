"""Parsing an uploaded CSV of device-user links, as a stream of rows.

The parser keeps one line and the set of device keys seen so far, never the file. Imports
run in two passes over the same upload: `scan` validates and counts (raising any file-level
error before anything is applied), then `read_csv` again yields the rows to submit.
"""

from __future__ import annotations

import csv
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TypeAlias

from ssp_contracts.device_keys import normalise_key
from ssp_contracts.links import ImportRow, ImportRowOutcome

from portal_gateway.domain.csv_header import CsvColumns, detect_delimiter, resolve_columns
from portal_gateway.domain.csv_source import ByteSource, PhysicalLines
from portal_gateway.domain.errors import CsvFileError

ParsedRow: TypeAlias = ImportRow | ImportRowOutcome
# A key with NUL, a line break or another control character cannot match a real device or
# user; saying so beats reporting it as unknown.
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class ImportLimits:
    max_rows: int = 200_000
    max_bytes: int = 20 * 1024 * 1024
    max_value_chars: int = 256  # ImportRow's own bound on keys
    max_line_chars: int = 1024 * 1024  # memory bound for files without line breaks


@dataclass
class CsvRows:
    """A file whose header was accepted; iterate it once for its rows in file order."""

    columns: CsvColumns
    rows: Iterator[ParsedRow]

    def __iter__(self) -> Iterator[ParsedRow]:
        return self.rows


@dataclass(frozen=True)
class ImportScan:
    """What the validating pass found: enough to size the chunks and show a summary."""

    columns: CsvColumns
    rows: int  # non-blank data rows
    valid: int
    counts: dict[str, int] = field(default_factory=dict)  # parser-decided outcomes


def read_csv(source: ByteSource, limits: ImportLimits | None = None) -> CsvRows:
    """Reads the header now (raising its errors) and returns the rows lazily."""
    limits = limits or ImportLimits()
    lines = PhysicalLines(source, max_bytes=limits.max_bytes,
                          max_line_chars=limits.max_line_chars)
    header_line = next((line for line in lines if line.strip()), None)
    if header_line is None:
        raise CsvFileError("csv.empty", "the file is empty; the first line must be a header")
    header_at = lines.consumed
    delimiter = detect_delimiter(header_line)
    records = csv.reader(_prepend(header_line, lines), delimiter=delimiter, strict=True)
    header = _next_record(records, header_at)
    if header is None:  # cannot happen for a line with text; refuse rather than assume
        raise CsvFileError("csv.empty", "the file has no header row", header_at)
    columns = resolve_columns(header, delimiter, header_at)
    return CsvRows(columns, _rows(records, lines, columns, limits))


def scan(source: ByteSource, limits: ImportLimits | None = None) -> ImportScan:
    """The first pass: parses everything, raises file-level errors, applies nothing."""
    parsed = read_csv(source, limits)
    counts: Counter[str] = Counter()
    valid = rows = 0
    for row in parsed:
        rows += 1
        if isinstance(row, ImportRow):
            valid += 1
        else:
            counts[row.outcome] += 1
    return ImportScan(parsed.columns, rows, valid, dict(counts))


def _prepend(first: str, rest: PhysicalLines) -> Iterator[str]:
    # The header line was already counted when it was peeked for the delimiter.
    yield first
    yield from rest


def _rows(records: Iterator[list[str]], lines: PhysicalLines, columns: CsvColumns,
          limits: ImportLimits) -> Iterator[ParsedRow]:
    first_line_of: dict[str, int] = {}  # device key -> line; bounded by max_rows
    count = 0
    while True:
        # csv pulls exactly the lines of one record, so the next record starts here.
        line = lines.consumed + 1
        record = _next_record(records, line)
        if record is None:
            return
        if not any(value.strip() for value in record):
            continue  # blank, or only delimiters as Excel writes for emptied rows
        count += 1
        if count > limits.max_rows:
            raise CsvFileError(
                "csv.too_many_rows",
                f"the file has more than {limits.max_rows} data rows; split it",
                line,
            )
        yield _parse_row(record, line, columns, limits, first_line_of)


def _cell(record: list[str], index: int) -> str:
    return record[index].strip() if index < len(record) else ""


def _parse_row(record: list[str], line: int, columns: CsvColumns, limits: ImportLimits,
               first_line_of: dict[str, int]) -> ParsedRow:
    device_raw = _cell(record, columns.device_index)
    user_raw = _cell(record, columns.user_index)
    device_key = normalise_key(columns.device_key_kind, device_raw)
    problem = _problem(columns, device_raw, device_key, user_raw, limits.max_value_chars)
    if problem is not None:
        limit = limits.max_value_chars
        return ImportRowOutcome(line=line, device_key=device_raw[:limit],
                                user_key=user_raw[:limit], outcome="invalid", detail=problem)
    first = first_line_of.setdefault(device_key, line)
    if first != line:
        return ImportRowOutcome(
            line=line, device_key=device_key, user_key=user_raw, outcome="duplicate_in_file",
            detail=f"{columns.device_key_kind} already on line {first}; the first row wins",
        )
    return ImportRow(line=line, device_key_kind=columns.device_key_kind, device_key=device_key,
                     user_key_kind=columns.user_key_kind, user_key=user_raw)


def _problem(columns: CsvColumns, device_raw: str, device_key: str, user_raw: str,
             max_chars: int) -> str | None:
    """Why a row cannot be used, or None; the first problem found is the one reported."""
    device, user = columns.device_key_kind, columns.user_key_kind
    if problem := _value_problem(device, device_raw, max_chars):
        return problem
    if not device_key:
        return f"{device} has no digits"  # only an IMEI can normalise to nothing
    return _value_problem(user, user_raw, max_chars)


def _value_problem(column: str, value: str, max_chars: int) -> str | None:
    if not value:
        return f"{column} is empty"
    if len(value) > max_chars:
        return f"{column} is longer than {max_chars} characters"
    if _CONTROL.search(value):
        return f"{column} contains a control character or line break"
    return None


def _next_record(records: Iterator[list[str]], line: int) -> list[str] | None:
    try:
        return next(records, None)
    except csv.Error as error:
        raise CsvFileError("csv.malformed", f"not valid CSV ({error})", line) from None
