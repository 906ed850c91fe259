"""Small images made in the test, never read from disk."""

from __future__ import annotations

import struct
import zlib


def one_pixel_png(grey: int = 0) -> bytes:
    """A valid 1x1 greyscale PNG (a browser stretches it over whatever box it fills)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(
            ">I", zlib.crc32(kind + data))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(bytes([0, grey]))) + chunk(b"IEND", b""))
