"""Login throttling: five free failures, then a doubling wait capped at 15 minutes."""

from datetime import datetime, timedelta

from permission_service.domain.throttle import (
    MAX_BACKOFF,
    ThrottleState,
    after_failure,
    after_success,
    backoff,
    client_key,
    retry_after,
)


def test_backoff_schedule():
    assert [backoff(n) for n in range(5)] == [None] * 5
    waits = [backoff(n) for n in range(5, 11)]
    assert [w.total_seconds() if w else None for w in waits] == [30, 60, 120, 240, 480, 900]
    assert backoff(11) == MAX_BACKOFF
    assert backoff(10_000) == MAX_BACKOFF


def test_failure_sequence_throttles_after_the_fifth_and_success_resets(now: datetime):
    state = ThrottleState()
    for _ in range(4):
        state = after_failure(state, now)
        assert retry_after(state, now) is None
    state = after_failure(state, now)
    assert state.failed_logins == 5
    assert retry_after(state, now) == timedelta(seconds=30)
    assert retry_after(state, now + timedelta(seconds=29)) == timedelta(seconds=1)
    assert retry_after(state, now + timedelta(seconds=30)) is None

    later = now + timedelta(seconds=30)
    state = after_failure(state, later)
    assert retry_after(state, later) == timedelta(seconds=60)

    assert after_success() == ThrottleState()
    assert retry_after(after_success(), later) is None


def test_each_address_has_its_own_key_and_none_is_kept_in_the_clear():
    keys = {client_key(a) for a in ("198.51.100.7", "198.51.100.8", "2001:db8::1")}
    assert len(keys) == 3 and not any("198" in k or ":" in k for k in keys)
    assert client_key("2001:DB8::1") == client_key("2001:db8::1")
    assert client_key(None) == client_key("") != client_key("198.51.100.7")
