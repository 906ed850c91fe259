"""Rows the parser decides itself (invalid, duplicate) and the two-pass flow to chunks."""

import pytest
from portal_gateway.domain.csv_import import ImportLimits, read_csv, scan
from portal_gateway.domain.errors import CsvFileError
from portal_gateway.domain.import_chunks import chunk_count, chunked, submissions
from ssp_contracts.links import ImportRow, ImportRowOutcome


def parse(text: str, limits: ImportLimits | None = None) -> list:
    return list(read_csv([text.encode()], limits))


def outcomes(rows: list) -> list[tuple[int, str, str | None]]:
    return [(row.line, row.outcome, row.detail) for row in rows
            if isinstance(row, ImportRowOutcome)]


def test_empty_device_or_user_key_is_invalid():
    rows = parse("serial_number,username\n,alice\nS2,\nS3\n  ,  \nS5,eve\n")
    assert outcomes(rows) == [
        (2, "invalid", "serial_number is empty"),
        (3, "invalid", "username is empty"),
        (4, "invalid", "username is empty"),
    ]
    assert [row.line for row in rows if isinstance(row, ImportRow)] == [6]


def test_values_longer_than_256_characters_are_invalid_and_shortened_in_the_outcome():
    long = "x" * 257
    rows = parse(f"udid,email\n{long},a@x.io\nU2,{long}\n{'y' * 256},b@x.io\n")
    assert outcomes(rows) == [
        (2, "invalid", "udid is longer than 256 characters"),
        (3, "invalid", "email is longer than 256 characters"),
    ]
    assert len(rows[0].device_key) == 256
    assert isinstance(rows[2], ImportRow)


def test_keys_with_control_characters_or_line_breaks_are_invalid():
    rows = parse('serial_number,username\nS1,al\x00ice\n"S2\nS3",bob\nS4,carol\n')
    assert outcomes(rows) == [
        (2, "invalid", "username contains a control character or line break"),
        (3, "invalid", "serial_number contains a control character or line break"),
    ]
    assert rows[2].line == 5


def test_imei_without_digits_is_invalid():
    assert outcomes(parse("imei,username\nn/a,alice\n")) == [(2, "invalid", "imei has no digits")]


def test_later_rows_with_the_same_device_are_duplicates_and_the_first_wins():
    rows = parse("serial_number,username\nS1,alice\nS2,bob\ns 1,carol\nS1,alice\n")
    valid = [(row.line, row.device_key, row.user_key) for row in rows
             if isinstance(row, ImportRow)]
    assert valid == [(2, "S1", "alice"), (3, "S2", "bob")]
    assert outcomes(rows) == [
        (4, "duplicate_in_file", "serial_number already on line 2; the first row wins"),
        (5, "duplicate_in_file", "serial_number already on line 2; the first row wins"),
    ]


def test_an_invalid_row_does_not_claim_its_device():
    rows = parse("serial_number,username\nS1,\nS1,bob\n")
    assert outcomes(rows) == [(2, "invalid", "username is empty")]
    assert isinstance(rows[1], ImportRow) and rows[1].user_key == "bob"


def test_rows_come_in_file_order():
    rows = parse("serial_number,username\nS1,a\n,b\nS1,c\nS4,d\n")
    assert [row.line for row in rows] == [2, 3, 4, 5]


def test_scan_counts_everything_without_keeping_rows():
    result = scan([b"serial_number;username\nS1;a\n;b\nS1;c\nS4;d\n\n"])
    assert (result.rows, result.valid) == (4, 2)
    assert result.counts == {"invalid": 1, "duplicate_in_file": 1}
    assert result.columns.delimiter == ";"


def valid_rows(count: int) -> list[ImportRow]:
    text = "serial_number,username\n" + "".join(f"S{i},u{i}\n" for i in range(count))
    return [row for row in parse(text) if isinstance(row, ImportRow)]


def test_chunked_cuts_rows_into_pieces_of_n():
    sizes = [len(chunk) for chunk in chunked(valid_rows(2500))]
    assert sizes == [1000, 1000, 500]
    assert [len(chunk) for chunk in chunked(valid_rows(5), size=2)] == [2, 2, 1]
    with pytest.raises(ValueError):
        list(chunked([], size=0))


@pytest.mark.parametrize(("rows", "chunks"), [(0, 1), (1, 1), (1000, 1), (1001, 2), (2500, 3)])
def test_chunk_count(rows, chunks):
    assert chunk_count(rows) == chunks


def test_submissions_number_chunks_and_carry_the_totals():
    events = list(submissions(valid_rows(2500), import_id="imp-1", org_id="acme",
                              requested_by="admin-1", total_rows=2500, dry_run=True))
    assert [(event.chunk, event.chunks, len(event.rows)) for event in events] == [
        (0, 3, 1000), (1, 3, 1000), (2, 3, 500),
    ]
    assert all(event.total_rows == 2500 and event.dry_run for event in events)
    assert events[2].rows[-1].line == 2501


def test_an_import_without_valid_rows_still_sends_one_empty_chunk():
    events = list(submissions([], import_id="imp-1", org_id="acme", requested_by="a",
                              total_rows=0))
    assert [(event.chunk, event.chunks, event.rows) for event in events] == [(0, 1, [])]


def test_a_file_changed_between_the_passes_is_refused():
    with pytest.raises(CsvFileError) as caught:
        list(submissions(valid_rows(3), import_id="i", org_id="acme", requested_by="a",
                         total_rows=2, size=2))
    assert caught.value.code == "csv.changed"
    with pytest.raises(CsvFileError):
        list(submissions(valid_rows(1), import_id="i", org_id="acme", requested_by="a",
                         total_rows=2))


def test_two_passes_over_the_same_upload_agree():
    data = b"serial_number,username\n" + b"".join(b"S%d,u%d\n" % (i % 700, i) for i in range(900))
    first = scan([data])
    second = [row for row in read_csv([data]) if isinstance(row, ImportRow)]
    assert first.valid == len(second) == 700
    assert first.counts == {"duplicate_in_file": 200}


def test_prejudged_rows_travel_in_the_chunks_and_count_in_the_total():
    parsed = [ImportRow(line=n, device_key_kind="serial_number", device_key=f"S{n}",
                        user_key_kind="username", user_key="u") if n % 3 else ImportRowOutcome(
                            line=n, device_key="S", user_key="u", outcome="invalid")
              for n in range(2, 9)]
    events = list(submissions(parsed, import_id="i", org_id="acme", requested_by="a",
                              total_rows=7, size=3))
    assert [(len(e.rows), len(e.prejudged)) for e in events] == [(2, 1), (2, 1), (1, 0)]
    assert [row.line for row in events[0].prejudged] == [3]
    assert all(e.total_rows == 7 and e.chunks == 3 for e in events)
