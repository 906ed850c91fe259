"""Session lifetime rules: idle timeout, absolute lifetime, step-up freshness."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

# Writing last_seen on every request would double the database load for nothing.
TOUCH_AFTER = timedelta(seconds=60)


@dataclass(frozen=True)
class SessionPolicy:
    idle: timedelta = timedelta(minutes=30)
    absolute: timedelta = timedelta(hours=12)
    step_up: timedelta = timedelta(minutes=5)


@dataclass(frozen=True)
class SessionTimes:
    created_at: datetime
    last_seen_at: datetime
    reauthenticated_at: datetime | None = None


def expires_at(times: SessionTimes, policy: SessionPolicy) -> datetime:
    return min(times.last_seen_at + policy.idle, times.created_at + policy.absolute)


def is_expired(times: SessionTimes, policy: SessionPolicy, now: datetime) -> bool:
    return now >= expires_at(times, policy)


def needs_touch(times: SessionTimes, now: datetime) -> bool:
    return now - times.last_seen_at >= TOUCH_AFTER


def is_freshly_authenticated(reauthenticated_at: datetime | None, policy: SessionPolicy,
                             now: datetime) -> bool:
    return reauthenticated_at is not None and now - reauthenticated_at < policy.step_up


@dataclass(frozen=True)
class SweepCutoffs:
    """A session last seen before `idle_before`, or created before `created_before`, is gone."""

    idle_before: datetime
    created_before: datetime


def sweep_cutoffs(policy: SessionPolicy, now: datetime) -> SweepCutoffs:
    return SweepCutoffs(now - policy.idle, now - policy.absolute)
