"""The shared AMAPI token bucket, driven by a fake clock."""

from __future__ import annotations

import asyncio

import pytest
from command_dispatcher.android.quota import TokenBucket


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)


async def test_full_bucket_serves_a_burst_without_waiting() -> None:
    clock = FakeClock()
    bucket = TokenBucket(10, 10.0, clock=clock, sleep=clock.sleep)
    for _ in range(10):
        await bucket.acquire()
    assert clock.slept == [] and bucket.tokens_left == pytest.approx(0)


async def test_empty_bucket_waits_for_the_refill() -> None:
    clock = FakeClock()
    bucket = TokenBucket(10, 10.0, clock=clock, sleep=clock.sleep)  # one token per second
    for _ in range(10):
        await bucket.acquire()
    await bucket.acquire()
    assert sum(clock.slept) == pytest.approx(1.0)
    assert bucket.tokens_left == pytest.approx(0)


async def test_refill_is_capped_at_capacity() -> None:
    clock = FakeClock()
    bucket = TokenBucket(1000, 100.0, clock=clock, sleep=clock.sleep)
    await bucket.acquire(5)
    assert bucket.tokens_left == pytest.approx(995)
    clock.now += 3600
    assert bucket.tokens_left == pytest.approx(1000)


async def test_waiters_are_served_in_order() -> None:
    clock = FakeClock()
    bucket = TokenBucket(2, 2.0, clock=clock, sleep=clock.sleep)
    served: list[int] = []

    async def take(index: int) -> None:
        await bucket.acquire()
        served.append(index)

    await asyncio.gather(*(take(i) for i in range(6)))
    assert served == list(range(6))
    assert sum(clock.slept) == pytest.approx(4.0)  # 4 tokens beyond the 2 in the bucket


def test_invalid_configuration() -> None:
    with pytest.raises(ValueError):
        TokenBucket(0, 100)
    with pytest.raises(ValueError):
        TokenBucket(10, 0)


async def test_cannot_take_more_than_capacity() -> None:
    with pytest.raises(ValueError):
        await TokenBucket(2, 1.0).acquire(3)
