"""The authority's wipe circuit breaker for administrators (`ssp.rpc.admin` ops
`get_wipe_breaker` and `reset_wipe_breaker`), and the resets other instances made."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from ssp_contracts.rpc import AdminRequest

from permission_service.domain.accounts import Account
from permission_service.domain.command_limits import LimitBook
from permission_service.store.breaker_resets import BreakerResetStore

log = logging.getLogger(__name__)


class WipeBreakerDesk:
    def __init__(self, book: LimitBook, resets: BreakerResetStore,
                 clock: Callable[[], datetime]) -> None:
        self.book = book
        self.resets = resets
        self.clock = clock

    async def refresh(self) -> None:
        """Periodic and at start-up: apply every org's last reset (a no-op for known ones)."""
        for org_id, at in (await self.resets.all()).items():
            if self.book.reset_breaker(org_id, at):
                log.warning("wipe circuit breaker reset", extra={"org_id": org_id})

    async def get_state(self, request: AdminRequest, actor: Account) -> tuple[int, Any]:
        return 200, self._state(actor.org_id)

    async def reset(self, request: AdminRequest, actor: Account) -> tuple[int, Any]:
        """Closes the actor's org's breaker and starts its wipe count afresh; stored first,
        so the other instances (and this one after a restart) hear it."""
        now = self.clock()
        await self.resets.record(actor.org_id, now)
        if self.book.reset_breaker(actor.org_id, now):
            log.warning("wipe circuit breaker reset", extra={
                "org_id": actor.org_id, "actor": actor.user_id})
        return 200, self._state(actor.org_id)

    def _state(self, org_id: str) -> dict[str, Any]:
        now = self.clock()
        view, policy = self.book.breaker(org_id, now), self.book.policy
        return {"open": view.open, "until": view.until.isoformat() if view.until else None,
                "wipes_in_window": self.book.wipes_in_window(org_id, now),
                "max_wipes": policy.wipe_max,
                "window_s": int(policy.wipe_window.total_seconds()),
                "open_for_s": int(policy.wipe_open_for.total_seconds())}
