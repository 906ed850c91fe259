"""A user of their own holding devices whose snapshots a test writes: states, numbers and
models a real device would take minutes (or never) to reach, shown side by side.

The snapshots go on `ssp.devices` as the registry publishes them; the gateway's projection
shows them once the user's device list has them all.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable

from ssp_contracts.devices import DeviceSnapshot
from ssp_contracts.topics import DEVICES

from tests.browser.demo_org import DemoOrg
from tests.support.kafka import Producer


async def seed_owner(portal: DemoOrg, bootstrap: str, prefix: str,
                     snapshots: Callable[[str, str], list[DeviceSnapshot]]) -> tuple[str, str]:
    """Creates `<prefix>-<tag>` and gives them `snapshots(user_id, tag)`; (username, tag)."""
    tag = uuid.uuid4().hex[:6]
    username = f"{prefix}-{tag}"
    user_id = await portal.create_user(username)
    devices = snapshots(user_id, tag)
    async with Producer(bootstrap) as producer:
        for device in devices:
            await producer.send_event(DEVICES, device)
    deadline = time.monotonic() + 60
    async with portal.api_session(username) as user:
        while len((await user.get("/api/v1/devices")).json()["items"]) < len(devices):
            assert time.monotonic() < deadline, "the gateway never showed the devices"
            await user.get("/api/v1/me")  # a round trip between looks, not a bare sleep
    return username, tag
