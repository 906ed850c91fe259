"""One token bucket for every AMAPI call of this process, so bursts stay inside Google's quota."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

# Google's default AMAPI project quota; configurable because projects can raise it.
DEFAULT_REQUESTS = 1000
DEFAULT_PERIOD_S = 100.0


class TokenBucket:
    """`capacity` requests per `period_s`, refilled continuously; `acquire` waits for a token.

    Waiters are served first come, first served (one lock), so no caller starves.
    """

    def __init__(
        self,
        capacity: int = DEFAULT_REQUESTS,
        period_s: float = DEFAULT_PERIOD_S,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if capacity < 1 or period_s <= 0:
            raise ValueError("a token bucket needs capacity >= 1 and a positive period")
        self._capacity = float(capacity)
        self._rate = capacity / period_s  # tokens per second
        self._clock, self._sleep = clock, sleep
        self._tokens = self._capacity  # start full: a fresh process has used no quota
        self._updated = clock()
        self._lock = asyncio.Lock()

    def _refill(self) -> None:
        now = self._clock()
        elapsed = max(0.0, now - self._updated)
        self._tokens = min(self._capacity, self._tokens + elapsed * self._rate)
        self._updated = now

    @property
    def tokens_left(self) -> float:
        """Tokens available now (a gauge for metrics)."""
        self._refill()
        return self._tokens

    async def acquire(self, tokens: float = 1.0) -> None:
        if tokens > self._capacity:
            raise ValueError(f"cannot take {tokens} tokens from a bucket of {self._capacity}")
        async with self._lock:
            self._refill()
            while self._tokens < tokens:
                await self._sleep((tokens - self._tokens) / self._rate)
                self._refill()
            self._tokens -= tokens

