"""Every file shape an admin's tools produce parses to the same rows, with true line numbers."""

import io

import pytest
from portal_gateway.domain.csv_import import read_csv
from ssp_contracts.links import ImportRow


def rows_of(data: bytes, chunk_size: int | None = None) -> list:
    source = [data] if chunk_size is None else [
        data[i : i + chunk_size] for i in range(0, len(data), chunk_size)
    ]
    return list(read_csv(source))


def pairs(rows: list) -> list[tuple[int, str, str]]:
    return [(row.line, row.device_key, row.user_key) for row in rows]


def test_comma_separated():
    rows = rows_of(b"serial_number,username\nC02X1,alice\nC02X2,bob\n")
    assert pairs(rows) == [(2, "C02X1", "alice"), (3, "C02X2", "bob")]
    assert all(isinstance(row, ImportRow) for row in rows)
    assert rows[0].device_key_kind == "serial_number" and rows[0].user_key_kind == "username"


def test_semicolon_separated():
    parsed = read_csv([b"imei;email\n352099001761481;alice@example.com\n"])
    assert parsed.columns.delimiter == ";"
    assert pairs(list(parsed)) == [(2, "352099001761481", "alice@example.com")]


def test_german_excel_export_with_bom_semicolons_crlf_and_umlauts():
    text = (
        "Name;Seriennummer Notiz;Serial_Number;E-Mail-Alt;EMAIL\r\n"
        "Jörg Müller;Büro, 2. OG;f2lxk0abcd;;joerg.mueller@example.de\r\n"
        "Änne Weiß;„Lager“;F2LXK0ABCE;;änne.weiß@example.de\r\n"
        ";;;;\r\n"
    )
    parsed = read_csv([b"\xef\xbb\xbf" + text.encode("utf-8")])
    assert parsed.columns.device_key_kind == "serial_number"
    assert parsed.columns.user_key_kind == "email"
    assert pairs(list(parsed)) == [
        (2, "F2LXK0ABCD", "joerg.mueller@example.de"),
        (3, "F2LXK0ABCE", "änne.weiß@example.de"),
    ]


def test_bom_split_across_chunks_and_multibyte_characters_split_too():
    data = "\ufeffudid;username\nU-1;jürgen\nU-2;zoë\n".encode()
    assert pairs(rows_of(data, chunk_size=1)) == [(2, "U-1", "jürgen"), (3, "U-2", "zoë")]


def test_crlf_split_between_chunks_counts_one_line():
    data = b"device_id,username\r\nd1,alice\r\n\r\nd2,bob\r\n"
    for size in (1, 2, 3, 7):
        assert pairs(rows_of(data, size)) == [(2, "d1", "alice"), (4, "d2", "bob")]


def test_old_mac_line_endings():
    assert pairs(rows_of(b"udid,email\rU1,a@x.io\rU2,b@x.io")) == [
        (2, "U1", "a@x.io"), (3, "U2", "b@x.io"),
    ]


def test_quoted_fields_with_delimiters_quotes_and_newlines_keep_physical_line_numbers():
    data = (
        b'serial_number,comment,username\n'
        b'A1,"one, two",alice\n'
        b'A2,"says ""hi""\nand\nmore",bob\n'
        b'"A3","x",carol\n'
        b'A4,,"dave, the admin"\n'
    )
    assert pairs(rows_of(data)) == [
        (2, "A1", "alice"), (3, "A2", "bob"), (6, "A3", "carol"), (7, "A4", "dave, the admin"),
    ]


def test_quoted_header_name_with_comma_does_not_decide_the_delimiter():
    parsed = read_csv([b'"Name, first";serial_number;username\n"Doe, J";S1;jd\n'])
    assert parsed.columns.delimiter == ";"
    assert pairs(list(parsed)) == [(2, "S1", "jd")]


def test_blank_and_whitespace_lines_are_ignored_but_counted():
    data = b"\n  \nserial_number,username\n\nS1,alice\n , \n\nS2,bob"
    parsed = read_csv([data])
    assert pairs(list(parsed)) == [(5, "S1", "alice"), (8, "S2", "bob")]


def test_header_names_are_case_insensitive_and_trimmed_and_other_columns_ignored():
    data = b" Serial_Number ,Asset Tag,  USERNAME\t\nS1,T-1,alice\n"
    assert pairs(rows_of(data)) == [(2, "S1", "alice")]


def test_values_are_trimmed_and_serial_and_imei_normalised():
    assert pairs(rows_of(b"serial_number,username\n  c02 x1 ,  alice  \n")) == [
        (2, "C02X1", "alice"),
    ]
    assert pairs(rows_of(b"imei;username\n35-209900 176148-1;bob\n")) == [
        (2, "352099001761481", "bob"),
    ]


def test_udid_and_device_id_keep_their_case():
    assert pairs(rows_of(b"udid,username\nabcDEF-1,alice\n")) == [(2, "abcDEF-1", "alice")]


def test_rows_with_extra_or_missing_trailing_columns():
    rows = rows_of(b"serial_number,username,note\nS1,alice,a,b,c\nS2,bob\n")
    assert pairs(rows) == [(2, "S1", "alice"), (3, "S2", "bob")]


@pytest.mark.parametrize("wrap", [io.BytesIO, lambda data: iter([data]), bytes])
def test_reads_a_binary_file_object_an_iterator_of_chunks_or_bytes(wrap):
    data = b"serial_number,username\n" + b"".join(
        f"S{i},user{i}\n".encode() for i in range(20_000)
    )
    rows = list(read_csv(wrap(data)))
    assert len(rows) == 20_000
    assert (rows[-1].line, rows[-1].device_key) == (20_001, "S19999")


def test_file_without_trailing_newline():
    assert pairs(rows_of(b"serial_number,username\nS1,alice")) == [(2, "S1", "alice")]


def test_header_only_file_has_no_rows():
    assert rows_of(b"serial_number,username\r\n") == []
