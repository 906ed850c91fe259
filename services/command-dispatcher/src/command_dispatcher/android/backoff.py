"""How long to wait before the next AMAPI attempt or operation poll (pure: no I/O)."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

MAX_RETRY_AFTER_S = 600.0  # a Retry-After beyond this is a broken answer, not a plan
_JITTER = random.Random()  # noqa: S311 - spreads retries, protects nothing


@dataclass(frozen=True)
class Backoff:
    initial_s: float = 1.0
    max_s: float = 30.0
    factor: float = 2.0
    jitter: float = 0.2  # +-20 %, so commands that failed together do not retry together

    def retry_delay(self, attempt: int, retry_after: float | None = None,
                    rng: random.Random | None = None) -> float:
        """Wait before retry number `attempt` (0-based); Google's own Retry-After wins."""
        if retry_after is not None and retry_after >= 0:
            return min(retry_after, MAX_RETRY_AFTER_S)
        return self._jittered(self.initial_s * self.factor ** attempt, rng)

    def poll_delay(self, poll: int, rng: random.Random | None = None) -> float:
        """Wait before poll number `poll` of an operation: quick at first, since most commands
        run within seconds, then slower for a device that is off."""
        return self._jittered(self.initial_s * 1.5 ** poll, rng)

    def _jittered(self, delay: float, rng: random.Random | None) -> float:
        spread = (rng or _JITTER).uniform(-self.jitter, self.jitter)
        return max(0.0, min(delay, self.max_s) * (1 + spread))


def fits_before(now: datetime, delay_s: float, deadline: datetime) -> bool:
    """Whether waiting `delay_s` still leaves the command alive (else let it expire)."""
    return now + timedelta(seconds=delay_s) < deadline
