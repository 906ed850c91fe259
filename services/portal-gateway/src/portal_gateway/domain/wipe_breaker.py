"""The fleet-wide wipe circuit breaker (pure: no I/O).

At most `max_wipes` wipe requests per org in each fixed window of `window`; the request after
them trips the breaker, and then every wipe of that org is refused until an administrator
resets it or `open_for` has passed. The count lives in the gateway's database as one document
per used slot (`<org>:<window start>:<n>`, n < max_wipes): taking a slot is an insert with a
unique `_id`, atomic on MongoDB and on FerretDB alike and shared by every gateway instance,
where a counter updated in place would lose increments across FerretDB connections.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from portal_gateway.domain.errors import Unavailable
from portal_gateway.domain.rate_limits import RateLimit, Window, window_for

BREAKER_OPEN = "wipe.circuit_open"


@dataclass(frozen=True)
class BreakerPolicy:
    max_wipes: int
    window: timedelta
    open_for: timedelta


class WipeBreakerOpen(Unavailable):
    """503: wipes are stopped for the org; Retry-After says when the breaker closes."""

    def __init__(self, until: datetime, now: datetime) -> None:
        retry = max(1, math.ceil((until - now).total_seconds()))
        super().__init__(
            BREAKER_OPEN,
            "Wipes are stopped for your organisation: more were requested in a short time than "
            "the configured limit allows. An administrator can reset this; otherwise it ends "
            f"in {retry} seconds.", retry_after_s=retry, until=until.isoformat())
        self.retry_after_s = retry


def current_window(policy: BreakerPolicy, org_id: str, now: datetime) -> Window:
    return window_for(RateLimit("wipes.org", policy.max_wipes, policy.window), org_id, now)


def slot_ids(window: Window, policy: BreakerPolicy) -> list[str]:
    """The `_id`s of the window's slots, in the order they are tried."""
    return [f"{window.key}:{n}" for n in range(policy.max_wipes)]


def is_open(until: datetime | None, now: datetime) -> bool:
    return until is not None and now < until
