"""One uploaded file read from a multipart body straight into a temporary file, counting bytes
as they arrive: an upload over the limit is refused while it comes in, never stored whole.

(Starlette's own form parsing spools the whole body before a route runs; API routes that
take uploads read `request.stream()` through this instead.)
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import Request

from portal_gateway.domain.errors import FieldProblem, PortalError, ValidationFailed

MAX_FIELD_BYTES = 1024  # the small fields that travel with the file (dry_run, csrf_token)
BODY_OVERHEAD = 64 * 1024  # boundaries and part headers on top of the file itself


class UploadTooLarge(PortalError):
    status = 413
    title = "Upload too large"


@dataclass
class SpooledUpload:
    path: Path
    size: int = 0
    filename: str | None = None
    fields: dict[str, str] = field(default_factory=dict)

    def discard(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()


def too_large(max_bytes: int) -> UploadTooLarge:
    return UploadTooLarge("upload.too_large",
                          f"The file is larger than the limit of {max_bytes // (1024 * 1024)} MB."
                          " Nothing was imported; split the file.", max_bytes=max_bytes)


class _Receiver:
    """The parser's callbacks: the file part goes to disk, small fields into memory."""

    def __init__(self, upload: SpooledUpload, file_field: str, max_bytes: int) -> None:
        self.upload = upload
        self.file_field = file_field
        self.max_bytes = max_bytes
        self.out = os.fdopen(os.open(upload.path, os.O_WRONLY), "wb")
        self.header_name = b""
        self.header_value = b""
        self.disposition: dict[bytes, bytes] = {}
        self.value = bytearray()

    def callbacks(self) -> Any:
        return {
            "on_part_begin": self._part_begin, "on_header_field": self._header_field,
            "on_header_value": self._header_value, "on_header_end": self._header_end,
            "on_part_data": self._part_data, "on_part_end": self._part_end,
        }

    def _part_begin(self) -> None:
        self.disposition = {}
        self.value = bytearray()

    def _header_field(self, data: bytes, start: int, end: int) -> None:
        self.header_name += data[start:end]

    def _header_value(self, data: bytes, start: int, end: int) -> None:
        self.header_value += data[start:end]

    def _header_end(self) -> None:
        if self.header_name.lower() == b"content-disposition":
            self.disposition = parse_options_header(self.header_value)[1]
        self.header_name, self.header_value = b"", b""

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        if self._is_file():
            self.upload.size += end - start
            if self.upload.size > self.max_bytes:
                raise too_large(self.max_bytes)
            self.out.write(data[start:end])
        elif len(self.value) + end - start <= MAX_FIELD_BYTES:
            self.value += data[start:end]

    def _part_end(self) -> None:
        name = self.disposition.get(b"name", b"").decode(errors="replace")
        if self._is_file():
            filename = self.disposition.get(b"filename")
            self.upload.filename = filename.decode(errors="replace") if filename else ""
        elif name:
            self.upload.fields[name] = self.value.decode(errors="replace")

    def _is_file(self) -> bool:
        return self.disposition.get(b"name") == self.file_field.encode()


async def spool_upload(request: Request, *, file_field: str, max_bytes: int) -> SpooledUpload:
    """The upload on disk (the caller discards it) and the form's other small fields."""
    content_type, params = parse_options_header(request.headers.get("content-type", ""))
    if content_type != b"multipart/form-data" or b"boundary" not in params:
        raise ValidationFailed([FieldProblem(file_field, "upload.not_multipart",
                                             "Send the file as multipart/form-data.")])
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes + BODY_OVERHEAD:
        raise too_large(max_bytes)  # said so up front: not a byte needs reading
    handle, name = tempfile.mkstemp(prefix="ssp-upload-", suffix=".csv")
    os.close(handle)
    upload = SpooledUpload(Path(name))
    receiver = _Receiver(upload, file_field, max_bytes)
    try:
        parser = MultipartParser(params[b"boundary"], receiver.callbacks())
        async for piece in request.stream():
            parser.write(piece)
        parser.finalize()
    except BaseException as exc:
        receiver.out.close()
        upload.discard()
        if isinstance(exc, MultipartParseError):
            raise ValidationFailed([FieldProblem(file_field, "upload.malformed",
                                                 "The upload is not valid multipart data.")],
                                   ) from exc
        raise
    receiver.out.close()
    if upload.filename is None:
        upload.discard()
        raise ValidationFailed([FieldProblem(file_field, "upload.missing",
                                             "Choose a CSV file to upload.")])
    return upload
