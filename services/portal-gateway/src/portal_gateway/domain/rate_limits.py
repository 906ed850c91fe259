"""Fixed-window rate limits: a counter per (scope, subject, window start)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from portal_gateway.domain.errors import RateLimited

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class RateLimit:
    scope: str  # e.g. "commands.user"
    limit: int
    window: timedelta


@dataclass(frozen=True)
class Window:
    key: str
    start: datetime
    end: datetime


def window_for(rule: RateLimit, subject: str, now: datetime) -> Window:
    span = rule.window.total_seconds()
    start = EPOCH + timedelta(seconds=math.floor((now - EPOCH).total_seconds() / span) * span)
    return Window(f"{rule.scope}:{subject}:{int(start.timestamp())}", start, start + rule.window)


def check_count(rule: RateLimit, window: Window, count: int, now: datetime) -> None:
    """`count` includes the current attempt."""
    if count > rule.limit:
        retry = max(1, math.ceil((window.end - now).total_seconds()))
        raise RateLimited(f"rate_limited.{rule.scope}",
                          f"Too many requests; try again in {retry} seconds.", retry)
