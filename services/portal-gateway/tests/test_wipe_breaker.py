"""The wipe circuit breaker: N wipes per org and window, then every wipe refused until reset
or the open period ends; other orgs are not affected."""

from __future__ import annotations

from datetime import timedelta

import pytest
from portal_gateway.domain.errors import Unavailable
from portal_gateway.domain.wipe_breaker import (
    BREAKER_OPEN,
    BreakerPolicy,
    WipeBreakerOpen,
    current_window,
    slot_ids,
)
from portal_gateway.http.problems import problem_body
from portal_gateway.wipe_breaker import WipeBreaker

from . import in_memory_stores as mem

POLICY = BreakerPolicy(max_wipes=3, window=timedelta(minutes=10), open_for=timedelta(hours=1))


def breaker() -> WipeBreaker:
    return WipeBreaker(mem.WipeBreaker(), POLICY)  # type: ignore[arg-type]


async def test_the_wipe_after_the_limit_trips_it_for_the_whole_org(now):
    b = breaker()
    for _ in range(3):
        await b.admit("acme", now)
    with pytest.raises(WipeBreakerOpen) as tripped:
        await b.admit("acme", now + timedelta(seconds=1))
    assert isinstance(tripped.value, Unavailable) and tripped.value.status == 503
    assert tripped.value.code == BREAKER_OPEN
    assert tripped.value.retry_after_s == 3600
    # Open: refused even in the next window, until the open period ends.
    with pytest.raises(WipeBreakerOpen) as still:
        await b.admit("acme", now + timedelta(minutes=30))
    assert still.value.retry_after_s == 30 * 60 + 1
    await b.admit("other-org", now)  # another org counts on its own
    state = await b.state("acme", now)
    assert state.open and state.until == now + timedelta(hours=1, seconds=1)
    # Closes by itself after the open period, in a fresh window.
    await b.admit("acme", now + timedelta(hours=1, minutes=5))
    assert not (await b.state("acme", now + timedelta(hours=1, minutes=5))).open


async def test_an_admin_reset_closes_it_and_forgets_the_count(now):
    b = breaker()
    for _ in range(3):
        await b.admit("acme", now)
    with pytest.raises(WipeBreakerOpen):
        await b.admit("acme", now)
    assert await b.reset("acme") is True
    assert await b.reset("acme") is False  # already closed
    for _ in range(3):  # the same window again: the count started over
        await b.admit("acme", now)
    with pytest.raises(WipeBreakerOpen):
        await b.admit("acme", now)


def test_slots_are_per_org_and_window(now):
    first = current_window(POLICY, "acme", now)
    later = current_window(POLICY, "acme", now + timedelta(minutes=10))
    assert slot_ids(first, POLICY) != slot_ids(later, POLICY)
    assert len(set(slot_ids(first, POLICY))) == 3
    assert not set(slot_ids(first, POLICY)) & set(
        slot_ids(current_window(POLICY, "other", now), POLICY))


def test_the_problem_says_when_it_ends(now):
    body = problem_body(WipeBreakerOpen(now + timedelta(seconds=90), now), "/x")
    assert body["status"] == 503 and body["code"] == BREAKER_OPEN
    assert body["retry_after_s"] == 90 and "administrator" in body["detail"]
