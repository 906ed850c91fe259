"""Waits between AMAPI attempts and operation polls."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from command_dispatcher.android.backoff import MAX_RETRY_AFTER_S, Backoff, fits_before

EXACT = Backoff(initial_s=1.0, max_s=30.0, jitter=0.0)


def test_retries_double_up_to_the_cap() -> None:
    assert [EXACT.retry_delay(n) for n in range(7)] == [1, 2, 4, 8, 16, 30, 30]


def test_googles_retry_after_wins_but_not_beyond_reason() -> None:
    assert EXACT.retry_delay(0, retry_after=7.0) == 7.0
    assert EXACT.retry_delay(5, retry_after=0.0) == 0.0
    assert EXACT.retry_delay(0, retry_after=86_400) == MAX_RETRY_AFTER_S


def test_polls_start_quick_and_slow_down() -> None:
    delays = [EXACT.poll_delay(n) for n in range(12)]
    assert delays[0] == 1.0 and delays == sorted(delays) and delays[-1] == 30.0


def test_jitter_stays_within_its_band() -> None:
    jittered = Backoff(initial_s=10.0, max_s=10.0, jitter=0.2)
    rng = random.Random(7)
    delays = {jittered.retry_delay(3, rng=rng) for _ in range(200)}
    assert min(delays) >= 8.0 and max(delays) <= 12.0 and len(delays) > 100


def test_a_wait_past_the_deadline_does_not_fit() -> None:
    now = datetime(2025, 1, 1, tzinfo=UTC)
    deadline = now + timedelta(seconds=10)
    assert fits_before(now, 9.9, deadline)
    assert not fits_before(now, 10.0, deadline)
