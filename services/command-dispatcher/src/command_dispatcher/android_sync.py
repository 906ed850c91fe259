"""The periodic devices.list that tells the registry which Android devices exist and how they are.

Android devices never talk to this server (they talk to Google), so a device becomes known here
when Google lists it: `enrolled` the first time, `inventory` when its facts change, `unenrolled`
when Google reports it DELETED or no longer lists it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime

from command_dispatcher.android.client import AmapiClient
from command_dispatcher.android.errors import AmapiError
from command_dispatcher.android.sync_plan import plan_sync
from command_dispatcher.store import AndroidDeviceStore

log = logging.getLogger(__name__)


class AndroidDeviceSync:
    def __init__(self, amapi: AmapiClient, devices: AndroidDeviceStore, *, enterprise: str,
                 org_id: str, clock: Callable[[], datetime]) -> None:
        self.amapi = amapi
        self.devices = devices
        self.enterprise = enterprise
        self.org_id = org_id
        self.clock = clock
        self._first: asyncio.Task[int] | None = None
        # One round at a time: the start-up round and a periodic one that overlapped it both
        # saw a new device as new and reported it enrolled twice.
        self._round = asyncio.Lock()

    async def start(self) -> None:
        """A first round right away in the background: the periodic job waits an interval
        first, and a slow Google must not hold up start-up."""
        self._first = asyncio.create_task(self.sync_devices())

    async def stop(self) -> None:
        if self._first is not None:
            self._first.cancel()
            await asyncio.gather(self._first, return_exceptions=True)

    async def sync_devices(self) -> int:
        """One round; an AMAPI error aborts it before anything is stored (a partial listing
        would look like devices leaving), and the next round tries again."""
        async with self._round:
            return await self._sync_once()

    async def _sync_once(self) -> int:
        try:
            listed = [device async for device in self.amapi.iter_devices(self.enterprise)]
        except AmapiError as exc:
            log.warning("android sync skipped: AMAPI error",
                        extra={"code": exc.code, "http_status": exc.http_status})
            return 0
        known = await self.devices.in_enterprise(self.enterprise)
        now = self.clock()
        steps = plan_sync(known, listed, org_id=self.org_id, now=now)
        for step in steps:
            await self.devices.report(step.device, step.report, now)
        if steps:
            log.info("android devices synced",
                     extra={"listed": len(listed), "reported": len(steps)})
        return len(steps)
