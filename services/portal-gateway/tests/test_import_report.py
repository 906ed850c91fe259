"""The report opens in a spreadsheet without running anything a row smuggled in."""

import csv
import io

import pytest
from portal_gateway.domain.import_report import neutralise, report_csv
from ssp_contracts.links import ImportRowOutcome


def outcome(line=2, device="S1", user="alice", kind="linked", detail=None):
    return ImportRowOutcome(line=line, device_key=device, user_key=user, outcome=kind,
                            detail=detail)


def read_back(pieces) -> list[list[str]]:
    text = "".join(pieces)
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:], newline="")))


@pytest.mark.parametrize("cell", [
    "=HYPERLINK(\"http://evil\")", "+1+2", "-2+3", "@SUM(A1)", "\t=1", "\r=1",
])
def test_formula_triggers_get_a_leading_quote(cell):
    assert neutralise(cell) == "'" + cell


@pytest.mark.parametrize("cell", ["C02X1", "alice@example.com", "", " =1", "'quoted", "1-2"])
def test_ordinary_cells_are_untouched(cell):
    assert neutralise(cell) == cell


def test_report_has_a_header_and_one_row_per_outcome_with_every_text_cell_neutralised():
    rows = read_back(report_csv([
        outcome(),
        outcome(3, "=cmd|' /C calc'!A0", "@evil", "invalid", "-bad, \"quoted\"\nvalue"),
        outcome(4, "S9", "bob", "unknown_device", "no device with this serial_number"),
    ]))
    assert rows == [
        ["line", "device_key", "user_key", "outcome", "detail"],
        ["2", "S1", "alice", "linked", ""],
        ["3", "'=cmd|' /C calc'!A0", "'@evil", "invalid", "'-bad, \"quoted\"\nvalue"],
        ["4", "S9", "bob", "unknown_device", "no device with this serial_number"],
    ]


def test_report_streams_in_pieces_with_crlf_line_ends():
    pieces = list(report_csv((outcome(line=i) for i in range(2, 1202)), rows_per_piece=500))
    assert len(pieces) == 3
    assert pieces[0].count("\r\n") == 501  # header + 500 rows
    assert len(read_back(pieces)) == 1201


def test_report_without_outcomes_or_bom():
    assert list(report_csv([], bom=False)) == ["line,device_key,user_key,outcome,detail\r\n"]
