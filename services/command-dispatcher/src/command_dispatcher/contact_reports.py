"""The "last contact" of devices that talk to us: a `checked_in` report per authenticated
contact (an Apple check-in or connect, a Windows OMA-DM message), coalesced.

A device polling every few seconds while it works through its commands would otherwise cause
one report, one registry write and one device snapshot per poll. So per device at most one
report per `every_s`, counted in this process (several dispatcher instances may each send
one: harmless, the registry keeps the latest time). The first contact after a quiet spell is
reported at once, so the portal never shows a time older than `every_s` for a device in use.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from datetime import datetime

from ssp_contracts.devices import DeviceReported
from ssp_contracts.enums import DeviceReportKind, ManagementMode, Platform

from command_dispatcher.device_reports import report

Publish = Callable[[DeviceReported], Awaitable[None]]
REMEMBERED = 200_000  # devices whose last report time is kept; the oldest are forgotten


class ContactReports:
    def __init__(self, clock: Callable[[], datetime], every_s: float,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.every_s = every_s
        self.monotonic = monotonic
        self._reported: OrderedDict[str, float] = OrderedDict()

    def due(self, device_id: str) -> bool:
        """Whether this device's contact should be reported now (and it is then counted as
        reported: a failed write is retried at the next contact after `every_s`)."""
        now = self.monotonic()
        last = self._reported.get(device_id)
        if last is not None and now - last < self.every_s:
            return False
        self._reported[device_id] = now
        self._reported.move_to_end(device_id)
        while len(self._reported) > REMEMBERED:
            self._reported.popitem(last=False)
        return True

    async def contact(self, *, org_id: str, device_id: str, platform: Platform | str,
                      mode: ManagementMode | str, publish: Publish) -> None:
        """Reports the contact through `publish` (the family's device store) when due."""
        if not self.due(device_id):
            return
        await publish(report(
            DeviceReportKind.CHECKED_IN, org_id=org_id, device_id=device_id,
            platform=Platform(platform), mode=ManagementMode(mode), now=self.clock()))
