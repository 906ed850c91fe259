"""The parser holds a line at a time: memory does not grow with the file, only the index of
device keys seen (which the row limit bounds)."""

import tracemalloc
from collections.abc import Iterator

from portal_gateway.domain.csv_import import read_csv, scan


def same_device_rows(rows: int) -> Iterator[bytes]:
    yield b"serial_number,username,note\n"
    for start in range(0, rows, 500):
        yield b"".join(b"SAME,user%d,%s\n" % (i, b"n" * 60) for i in range(start, start + 500))


def test_memory_stays_flat_while_a_large_file_streams_through():
    tracemalloc.start()
    try:
        result = scan(same_device_rows(50_000))  # ~4 MB of upload
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result.rows == 50_000 and result.counts == {"duplicate_in_file": 49_999}
    assert peak < 1_000_000


def test_read_csv_pulls_only_what_the_header_needs():
    pulled = []

    def source() -> Iterator[bytes]:
        for chunk in (b"serial_number,username\n", b"S1,alice\n", b"S2,bob\n"):
            pulled.append(chunk)
            yield chunk

    parsed = read_csv(source())
    assert len(pulled) == 1
    assert next(iter(parsed)).device_key == "S1" and len(pulled) == 2
