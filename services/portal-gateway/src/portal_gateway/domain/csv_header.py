"""The header row of a link import: which delimiter, which device column, which user column."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar

from ssp_contracts.links import DeviceKeyKind, UserKeyKind

from portal_gateway.domain.errors import CsvFileError

DEVICE_COLUMNS: tuple[DeviceKeyKind, ...] = ("serial_number", "udid", "imei", "device_id")
USER_COLUMNS: tuple[UserKeyKind, ...] = ("username", "email")
DELIMITERS = (",", ";")

Kind = TypeVar("Kind", bound=str)


@dataclass(frozen=True)
class CsvColumns:
    """Where the two columns that matter are; every other column is ignored."""

    delimiter: str
    device_key_kind: DeviceKeyKind
    device_index: int
    user_key_kind: UserKeyKind
    user_index: int


def detect_delimiter(header_line: str) -> str:
    """`;` if the header has more semicolons than commas outside quotes, else `,`.

    German Excel writes `;` because `,` is its decimal separator; counting outside quotes
    keeps a quoted header name such as "Name, first" from tipping the vote.
    """
    counts = dict.fromkeys(DELIMITERS, 0)
    quoted = False
    for char in header_line:
        if char == '"':
            quoted = not quoted
        elif not quoted and char in counts:
            counts[char] += 1
    return ";" if counts[";"] > counts[","] else ","


def _normalise_name(name: str) -> str:
    # A second BOM survives some export chains; it is invisible to the person fixing the file.
    return name.strip().lstrip("\ufeff").strip().lower()


def _find(names: list[str], wanted: tuple[Kind, ...], what: str, line: int) -> tuple[Kind, int]:
    found = [(wanted[wanted.index(name)], index)
             for index, name in enumerate(names) if name in wanted]
    accepted = ", ".join(wanted)
    if not found:
        raise CsvFileError(
            f"csv.missing_{what}_column",
            f"the header has no {what} column; name one column {accepted}"
            " (columns separated by ',' or ';')",
            line,
        )
    if len(found) > 1:
        listed = ", ".join(name for name, _ in found)
        raise CsvFileError(
            f"csv.ambiguous_{what}_column",
            f"the header has more than one {what} column ({listed}); keep exactly one",
            line,
        )
    return found[0]


def resolve_columns(header: list[str], delimiter: str, line: int) -> CsvColumns:
    names = [_normalise_name(name) for name in header]
    device_kind, device_index = _find(names, DEVICE_COLUMNS, "device", line)
    user_kind, user_index = _find(names, USER_COLUMNS, "user", line)
    return CsvColumns(
        delimiter=delimiter,
        device_key_kind=device_kind,
        device_index=device_index,
        user_key_kind=user_kind,
        user_index=user_index,
    )
