"""Comparing event times safely."""

from __future__ import annotations

from datetime import UTC, datetime


def as_utc(moment: datetime) -> datetime:
    """Naive times are taken as UTC, so a producer that forgot the zone cannot crash a fold."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def is_later(candidate: datetime, than: datetime | None) -> bool:
    return than is None or as_utc(candidate) > as_utc(than)
