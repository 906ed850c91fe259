"""A file that cannot be imported is refused as a whole, with a stable code and the line."""

from collections.abc import Iterator

import pytest
from portal_gateway.domain.csv_import import ImportLimits, read_csv, scan
from portal_gateway.domain.errors import CsvFileError


def refusal(data: bytes, limits: ImportLimits | None = None) -> CsvFileError:
    with pytest.raises(CsvFileError) as caught:
        scan([data], limits)
    return caught.value


@pytest.mark.parametrize(("header", "code"), [
    (b"username,name\n", "csv.missing_device_column"),
    (b"serial_number,full name\n", "csv.missing_user_column"),
    (b"serial_number,imei,username\n", "csv.ambiguous_device_column"),
    (b"Serial_Number;SERIAL_NUMBER;username\n", "csv.ambiguous_device_column"),
    (b"udid,username,email\n", "csv.ambiguous_user_column"),
    (b"serial number;e-mail\n", "csv.missing_device_column"),
])
def test_header_problems(header, code):
    error = refusal(header + b"x,y,z\n")
    assert error.code == code
    assert error.line == 1
    assert "serial_number" in error.message or "username" in error.message


def test_header_errors_come_before_any_row_is_read():
    # read_csv raises at once: the caller learns of a bad header before iterating anything.
    with pytest.raises(CsvFileError) as caught:
        read_csv([b"serial_number,imei,username\n"])
    assert caught.value.code == "csv.ambiguous_device_column"


def test_two_device_columns_message_names_them():
    error = refusal(b"serial_number,udid,email\n")
    assert "serial_number, udid" in error.message


@pytest.mark.parametrize("data", [b"", b"\xef\xbb\xbf", b"\n\r\n  \n"])
def test_empty_file(data):
    assert refusal(data).code == "csv.empty"


def test_not_utf8_reports_the_line_of_the_first_bad_byte():
    data = "serial_number;username\nS1;alice\nS2;J\xf6rg\n".encode("latin-1")
    error = refusal(data)
    assert (error.code, error.line) == ("csv.encoding", 3)
    assert "UTF-8" in error.message


def test_bad_byte_in_a_later_chunk_still_gets_its_line():
    source = [b"serial_number,username\nS1,a\n", b"S2,b\nS3,\xff\n"]
    with pytest.raises(CsvFileError) as caught:
        scan(source)
    assert (caught.value.code, caught.value.line) == ("csv.encoding", 4)


def test_utf16_excel_unicode_text_is_refused():
    data = "serial_number\tusername\r\nS1\talice\r\n".encode("utf-16")
    assert refusal(data).code == "csv.encoding"


def test_truncated_multibyte_character_at_end_of_file():
    assert refusal(b"serial_number,username\nS1,J\xc3").code == "csv.encoding"


def test_unterminated_quote_is_malformed_at_the_line_the_row_starts():
    error = refusal(b'serial_number,username\nS1,alice\nS2,"bob\nS3,carol\n')
    assert (error.code, error.line) == ("csv.malformed", 3)


def test_text_after_a_closing_quote_is_malformed():
    error = refusal(b'serial_number,username\n"S1"x,alice\n')
    assert (error.code, error.line) == ("csv.malformed", 2)


def test_row_limit_is_configurable_and_exact():
    data = b"serial_number,username\n" + b"".join(b"S%d,u\n" % i for i in range(5))
    assert scan([data], ImportLimits(max_rows=5)).rows == 5
    error = refusal(data + b"\nS5,u\n", ImportLimits(max_rows=5))
    assert (error.code, error.line) == ("csv.too_many_rows", 8)


def test_blank_lines_do_not_count_towards_the_row_limit():
    data = b"serial_number,username\nS1,u\n\n,\n , \r\nS2,u\n"
    assert scan([data], ImportLimits(max_rows=2)).rows == 2


def test_byte_limit_is_configurable_and_exact():
    data = b"serial_number,username\nS1,alice\n"
    assert scan([data], ImportLimits(max_bytes=len(data))).valid == 1
    error = refusal(data, ImportLimits(max_bytes=len(data) - 1))
    assert error.code == "csv.too_large"


def test_a_line_without_end_cannot_exhaust_memory():
    error = refusal(b"serial_number,username\n" + b"x" * 5000, ImportLimits(max_line_chars=4096))
    assert (error.code, error.line) == ("csv.line_too_long", 2)


def generated(rows: int, *, row_bytes: bytes = b"") -> Iterator[bytes]:
    """An upload produced lazily in 64 KiB-ish pieces, never held whole."""
    yield b"\xef\xbb\xbfserial_number;email\r\n"
    batch = []
    for i in range(rows):
        batch.append(b"SN%08d;user%d@example.com%s\r\n" % (i, i, row_bytes))
        if len(batch) == 1000:
            yield b"".join(batch)
            batch.clear()
    yield b"".join(batch)


def test_default_limits_accept_200000_rows_and_refuse_one_more():
    assert scan(generated(200_000)).valid == 200_000
    with pytest.raises(CsvFileError) as caught:
        scan(generated(200_001))
    assert (caught.value.code, caught.value.line) == ("csv.too_many_rows", 200_002)


def test_default_byte_limit_is_20_mib():
    padding = b";" + b"p" * 120  # ~160 bytes a row: 140,000 rows pass 20 MiB
    with pytest.raises(CsvFileError) as caught:
        scan(generated(140_000, row_bytes=padding))
    assert caught.value.code == "csv.too_large"


def test_tab_separated_file_is_told_which_separators_work():
    error = refusal(b"serial_number\tusername\nS1\talice\n")
    assert error.code == "csv.missing_device_column" and "','" in error.message
