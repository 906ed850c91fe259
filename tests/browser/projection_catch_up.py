"""Waiting until the fresh gateway's projection consumers read every partition.

Its consumer groups are new and start at the topics' end, and `/readyz` does not wait for
partition assignment. So one sentinel per partition of `ssp.devices` and
`ssp.commands.status` is published, again and again, until the demo admin sees every one
through the API; after that, whatever this run publishes reaches the projections.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime

import httpx
from aiokafka import AIOKafkaProducer
from ssp_contracts import cloudevents
from ssp_contracts.base import Event
from ssp_contracts.commands import CommandStatusChanged
from ssp_contracts.devices import DeviceIdentifiers, DeviceOwner, DeviceSnapshot
from ssp_contracts.enums import Action, CommandStatus, LinkSource, ManagementMode, Platform
from ssp_contracts.topics import COMMANDS_STATUS, DEVICES
from ssp_runtime.kafka_auth import kafka_options

from tests.browser.demo_org import DemoOrg


async def _send(producer: AIOKafkaProducer, topic: str, event: Event, partition: int) -> None:
    headers = cloudevents.to_headers(event, source="tests.browser")
    await producer.send_and_wait(topic, cloudevents.to_value(event), partition=partition,
                                 key=event.subject().encode(),
                                 headers=[(k, v.encode()) for k, v in headers.items()])


def _device(demo: DemoOrg, p: int, version: int) -> DeviceSnapshot:
    return DeviceSnapshot(
        org_id=demo.org, device_id=f"sentinel-{demo.org}-{p}", version=version,
        platform=Platform.IOS, management_mode=ManagementMode.IOS_SUPERVISED,
        identifiers=DeviceIdentifiers(serial_number=f"SENTINEL{p}"),
        owner=DeviceOwner(user_id=demo.user_id("sentinel"), linked_at=datetime.now(UTC),
                          source=LinkSource.MANUAL))


def _command(demo: DemoOrg, p: int, version: int) -> CommandStatusChanged:
    return CommandStatusChanged(
        org_id=demo.org, command_id=f"cmd-sentinel-{demo.org}-{p}",
        device_id=f"sentinel-{demo.org}-{p}", action=Action.REFRESH,
        status=CommandStatus.QUEUED, version=version, requested_by=demo.user_id("admin"),
        occurred_at=datetime.now(UTC))


async def _seen(admin: httpx.AsyncClient, demo: DemoOrg, p: int, topic: str) -> bool:
    if topic == DEVICES:
        found = await admin.get("/api/v1/admin/devices", params={"serial_number": f"SENTINEL{p}"})
        return bool(found.json()["items"])
    return (await admin.get(f"/api/v1/commands/cmd-sentinel-{demo.org}-{p}")).status_code == 200


async def wait_until_caught_up(demo: DemoOrg, bootstrap: str, timeout_s: float = 90) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True,
                                **kafka_options())
    await producer.start()
    deadline = time.monotonic() + timeout_s
    try:
        async with demo.api_session("admin") as admin:
            waiting = {(topic, p) for topic in (DEVICES, COMMANDS_STATUS)
                       for p in await producer.partitions_for(topic)}
            version = 0
            while waiting:
                assert time.monotonic() < deadline, f"not read: {sorted(waiting)}"
                version += 1
                for topic, p in sorted(waiting):
                    event = _device(demo, p, version) if topic == DEVICES else _command(
                        demo, p, version)
                    await _send(producer, topic, event, p)
                await asyncio.sleep(1.0)
                waiting = {(t, p) for t, p in waiting if not await _seen(admin, demo, p, t)}
    finally:
        await producer.stop()


async def wait_until_accounts_known(demo: DemoOrg, usernames: set[str],
                                    timeout_s: float = 120) -> None:
    """Waits until the gateway's account projection resolves each of `usernames`.

    A fresh gateway replays the whole compacted `ssp.access` (every account earlier tests
    made) before it reaches this run's users, which the permission-service may have seeded
    before the gateway joined; until then admin pages that name a user (the device-link
    filter, sspctl's `devices link`) find no one. Each demo user owns a linked device, so the
    admin device search by username finds one once the account is known.
    """
    deadline = time.monotonic() + timeout_s
    async with demo.api_session("admin") as admin:
        waiting = set(usernames)
        while waiting:
            assert time.monotonic() < deadline, f"accounts never projected: {sorted(waiting)}"
            for username in sorted(waiting):
                found = await admin.get("/api/v1/admin/devices", params={"username": username})
                if found.status_code == 200 and found.json()["items"]:
                    waiting.discard(username)
            if waiting:
                await asyncio.sleep(0.5)
