"""Linking the simulated devices to the demo users, the way an administrator's manual link is
made: `LinkRequested` on `ssp.links.requests`, answered by the registry's `ssp.devices`."""

from __future__ import annotations

import time
import uuid

from ssp_contracts.enums import LinkSource
from ssp_contracts.links import LinkRequested
from ssp_contracts.topics import LINKS_REQUESTS

from tests.browser.demo_org import DemoOrg
from tests.support.kafka import Producer, Tail, json_of

RESEND_AFTER_S = 8.0  # a link the registry refused (user not yet known to it) is sent again


def _owners(tail: Tail, org: str) -> dict[str, str | None]:
    """Device id -> owner user id, as the latest snapshots on the topic say."""
    owners: dict[str, str | None] = {}
    for record in tail.seen:
        if record.value is None:
            continue
        body = json_of(record)
        if body.get("org_id") == org:
            owners[body["device_id"]] = (body.get("owner") or {}).get("user_id")
    return owners


async def wait_for_devices(tail: Tail, org: str, device_ids: set[str],
                           timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while not device_ids <= set(_owners(tail, org)):
        missing = sorted(device_ids - set(_owners(tail, org)))
        assert time.monotonic() < deadline, f"devices never registered: {missing}"
        await tail.poll()


async def link_devices(demo: DemoOrg, producer: Producer, tail: Tail,
                       timeout_s: float = 60) -> None:
    """Links every device of `demo.owners` to its demo user and waits until it shows."""
    await wait_for_devices(tail, demo.org, set(demo.owners))
    deadline = time.monotonic() + timeout_s
    pending = dict(demo.owners)
    while pending:
        assert time.monotonic() < deadline, f"never linked: {sorted(pending)}"
        for device_id, username in pending.items():
            await producer.send_event(LINKS_REQUESTS, LinkRequested(
                org_id=demo.org, request_id=str(uuid.uuid4()), device_id=device_id,
                user_id=demo.user_id(username), source=LinkSource.MANUAL,
                requested_by="browser-tests"))
        resend_at = time.monotonic() + RESEND_AFTER_S
        while pending and time.monotonic() < resend_at:
            await tail.poll()
            owners = _owners(tail, demo.org)
            pending = {d: u for d, u in pending.items() if owners.get(d) != demo.user_id(u)}
