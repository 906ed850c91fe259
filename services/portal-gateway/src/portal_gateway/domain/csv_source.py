"""Bytes of an upload -> physical lines of text, with the file-level limits enforced on the way.

The csv module treats every string it is given as ending a line, so it must be fed whole
lines; this module produces them from chunks of any size while holding at most one line.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Generator, Iterable, Iterator
from typing import BinaryIO, TypeAlias

from portal_gateway.domain.errors import CsvFileError

ByteSource: TypeAlias = bytes | Iterable[bytes] | BinaryIO

READ_SIZE = 64 * 1024
# The line breaks `open(newline="")` recognises; the csv module expects exactly these.
_BREAK = re.compile(r"\r\n|\r|\n")


def _chunks(source: ByteSource) -> Iterator[bytes]:
    if isinstance(source, bytes):
        yield source  # iterating bytes would give ints
    elif hasattr(source, "read"):
        yield from iter(lambda: source.read(READ_SIZE), b"")
    else:
        yield from source


class PhysicalLines:
    """Iterates the lines of a UTF-8 (BOM optional) byte stream, terminators kept.

    `consumed` is how many lines were handed out, so a reader of this iterator knows the
    physical line number a record started on.
    """

    def __init__(self, source: ByteSource, *, max_bytes: int, max_line_chars: int) -> None:
        self.consumed = 0
        self._lines = self._read(source, max_bytes, max_line_chars)

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        line = next(self._lines)
        self.consumed += 1
        return line

    def _read(self, source: ByteSource, max_bytes: int, max_line_chars: int) -> Iterator[str]:
        # utf-8-sig drops a leading BOM (Excel's "CSV UTF-8") even when split across chunks.
        decoder = codecs.getincrementaldecoder("utf-8-sig")(errors="strict")
        pending = ""
        size = 0
        for chunk in _chunks(source):
            size += len(chunk)
            if size > max_bytes:
                raise CsvFileError(
                    "csv.too_large", f"the file is larger than the limit of {max_bytes} bytes"
                )
            pending = yield from self._emit(pending, self._decode(decoder, chunk, pending),
                                            max_line_chars, final=False)
        pending = yield from self._emit(pending, self._decode(decoder, b"", pending, final=True),
                                        max_line_chars, final=True)
        if pending:
            yield pending

    def _decode(self, decoder: codecs.IncrementalDecoder, chunk: bytes, pending: str,
                *, final: bool = False) -> str:
        try:
            return decoder.decode(chunk, final)
        except UnicodeDecodeError as error:
            before = pending + error.object[: error.start].decode("utf-8", errors="replace")
            line = self.consumed + len(_BREAK.findall(before)) + 1
            raise CsvFileError(
                "csv.encoding",
                "the file is not UTF-8 text; in Excel save it as 'CSV UTF-8'",
                line,
            ) from None

    def _emit(self, pending: str, text: str, max_line_chars: int,
              *, final: bool) -> Generator[str, None, str]:
        """Yields the complete lines of `pending + text` and returns the unfinished rest."""
        text = pending + text
        start = 0
        for match in _BREAK.finditer(text):
            # A chunk ending in CR may be half of a CRLF: wait for the next chunk.
            if not final and match.end() == len(text) and match.group() == "\r":
                break
            line = text[start : match.end()]
            self._check_length(line, max_line_chars)
            yield line
            start = match.end()
        rest = text[start:]
        self._check_length(rest, max_line_chars)
        return rest

    def _check_length(self, line: str, max_line_chars: int) -> None:
        # Bounds the memory one line can take when a file has no line breaks at all.
        if len(line) > max_line_chars:
            raise CsvFileError(
                "csv.line_too_long",
                f"a line is longer than {max_line_chars} characters",
                self.consumed + 1,
            )
