"""When the simulated Apple devices received which command: each device records the moment
its MDM session was handed a command (`CommandRecord.at`), so the bench reads that clock
instead of adding one of its own."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Collection

from ssp_simulators.apple.fleet import AppleFleet


def received_times(fleet: AppleFleet) -> dict[str, float]:
    """Command id -> epoch seconds of its first arrival at a device (a NotNow answered
    command arrives again later; the first arrival is the one that counts)."""
    first: dict[str, float] = {}
    for device in fleet.devices:
        for record in device.received:
            first.setdefault(record.command_uuid, record.at.timestamp())
    return first


async def wait_received(fleet: AppleFleet, ids: Collection[str],
                        timeout_s: float) -> dict[str, float]:
    """The arrival time of each of `ids` that arrived before `timeout_s` ran out."""
    wanted = set(ids)
    deadline = time.monotonic() + timeout_s
    while True:
        seen = received_times(fleet)
        found = {c: seen[c] for c in wanted if c in seen}
        if len(found) == len(wanted) or time.monotonic() > deadline:
            return found
        await asyncio.sleep(0.05)
