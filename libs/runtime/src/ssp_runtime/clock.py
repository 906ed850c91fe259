"""The one clock every service reads: aware UTC, so stored and compared times never mix zones.

Code that decides on time takes a `clock` argument defaulting to this, so tests pass their own.
"""

from __future__ import annotations

from datetime import UTC, datetime


def utc_now() -> datetime:
    return datetime.now(UTC)
