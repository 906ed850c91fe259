"""Login throttling: after repeated failures from one client address, that address waits
for that account, longer each time.

Per (account, address), never per account: guesses from anywhere else must not lock out the
owner, who logs in from an address that did not fail (issue 17: ten wrong passwords from ten
addresses used to lock a known user out for up to 15 minutes). A successful login resets the
pair and is never counted. Pure functions of the state and `now`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

FAILURES_BEFORE_THROTTLE = 5
FIRST_BACKOFF = timedelta(seconds=30)
MAX_BACKOFF = timedelta(minutes=15)


NO_ADDRESS = "no-address"  # a caller that names no client (not the portal): one shared pair


def client_key(client: str | None) -> str:
    """The stored key of a client address: a digest, so no address is kept in the clear."""
    if not client:
        return NO_ADDRESS
    return hashlib.sha256(client.strip().lower().encode()).hexdigest()[:32]


@dataclass(frozen=True)
class ThrottleState:
    """One (account, client address) pair's consecutive failures and wait."""

    failed_logins: int = 0
    throttled_until: datetime | None = None


def backoff(failed_logins: int) -> timedelta | None:
    """How long to wait after the `failed_logins`-th consecutive failure (None: no wait).

    5 -> 30 s, 6 -> 60 s, 7 -> 120 s, ... doubling up to 15 min.
    """
    if failed_logins < FAILURES_BEFORE_THROTTLE:
        return None
    doublings = failed_logins - FAILURES_BEFORE_THROTTLE
    if doublings >= 16:  # far past the cap; avoids computing huge numbers
        return MAX_BACKOFF
    return min(FIRST_BACKOFF * 2**doublings, MAX_BACKOFF)


def retry_after(state: ThrottleState, now: datetime) -> timedelta | None:
    """Time left before the next attempt may be checked (None: try now)."""
    if state.throttled_until is None or state.throttled_until <= now:
        return None
    return state.throttled_until - now


def after_failure(state: ThrottleState, now: datetime) -> ThrottleState:
    """The state after a wrong password. Call only for attempts that were actually checked:
    attempts refused while throttled do not count, or the wait would never end.
    """
    failures = state.failed_logins + 1
    wait = backoff(failures)
    return ThrottleState(failures, now + wait if wait is not None else None)


def after_success() -> ThrottleState:
    """A correct password resets everything."""
    return ThrottleState()
