"""Recognising a unique-index violation on MongoDB and on FerretDB v1.

MongoDB raises `DuplicateKeyError` (code 11000) for inserts and updates alike; FerretDB v1 does
so for inserts but reports a violation by an update as a generic `OperationFailure` (code 1)
carrying SQLite's "UNIQUE constraint failed".
"""

from __future__ import annotations

from pymongo.errors import DuplicateKeyError, OperationFailure


def is_duplicate_key(error: BaseException) -> bool:
    if isinstance(error, DuplicateKeyError):
        return True
    return isinstance(error, OperationFailure) and (
        error.code == 11000 or "UNIQUE constraint failed" in str(error))
