"""The wipe circuit breaker at work: admit a wipe, trip, report, reset (rules in the domain)."""

from __future__ import annotations

import logging
from datetime import datetime

from pydantic import BaseModel

from portal_gateway.domain.wipe_breaker import (
    BreakerPolicy,
    WipeBreakerOpen,
    current_window,
    is_open,
    slot_ids,
)
from portal_gateway.store.wipe_breaker import WipeBreakerStore

log = logging.getLogger(__name__)


class BreakerState(BaseModel):
    open: bool
    until: datetime | None = None
    max_wipes: int
    window_s: int
    open_for_s: int


class WipeBreaker:
    def __init__(self, store: WipeBreakerStore, policy: BreakerPolicy) -> None:
        self.store = store
        self.policy = policy

    async def admit(self, org_id: str, now: datetime) -> None:
        """Count one wipe of the org, or raise WipeBreakerOpen (tripping it if this is one
        too many)."""
        until = await self.store.open_until(org_id)
        if until is not None and is_open(until, now):
            raise WipeBreakerOpen(until, now)
        window = current_window(self.policy, org_id, now)
        if await self.store.take_slot(org_id, window, slot_ids(window, self.policy)):
            return
        until = await self.store.trip(org_id, now, now + self.policy.open_for)
        await self.tripped(org_id, until)
        raise WipeBreakerOpen(until, now)

    async def tripped(self, org_id: str, until: datetime) -> None:
        log.warning("wipe circuit breaker open: wipes refused", extra={
            "org_id": org_id, "until": until.isoformat(), "max_wipes": self.policy.max_wipes,
            "window_s": self.policy.window.total_seconds()})

    async def state(self, org_id: str, now: datetime) -> BreakerState:
        until = await self.store.open_until(org_id)
        open_now = until is not None and is_open(until, now)
        return BreakerState(open=open_now, until=until if open_now else None,
                            max_wipes=self.policy.max_wipes,
                            window_s=int(self.policy.window.total_seconds()),
                            open_for_s=int(self.policy.open_for.total_seconds()))

    async def reset(self, org_id: str) -> bool:
        closed = await self.store.reset(org_id)
        if closed:
            log.warning("wipe circuit breaker reset", extra={"org_id": org_id})
        return closed
