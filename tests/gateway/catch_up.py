"""Waiting until a freshly started gateway's projection consumers read every partition.

Its consumer groups are new and start at the end of the topics, and `/readyz` does not wait
for partition assignment: a record published before a partition is assigned would be missed.
So one sentinel per partition of each projection topic is published, again and again, until
every one is visible through the API; after that every test's records reach the projections.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import UTC, datetime

import httpx
from aiokafka import AIOKafkaProducer
from ssp_contracts import cloudevents
from ssp_contracts.access import UserAccess
from ssp_contracts.base import Event
from ssp_contracts.commands import CommandStatusChanged
from ssp_contracts.devices import DeviceOwner, DeviceSnapshot
from ssp_contracts.enums import Action, CommandStatus, LinkSource, ManagementMode, Platform
from ssp_contracts.topics import ACCESS, COMMANDS_STATUS, DEVICES
from ssp_runtime.kafka_auth import kafka_options

from tests.gateway.rpc_responder import Account, RpcResponder


async def _send(producer: AIOKafkaProducer, topic: str, event: Event, partition: int) -> None:
    headers = cloudevents.to_headers(event, source="tests.catch_up")
    await producer.send_and_wait(topic, cloudevents.to_value(event), partition=partition,
                                 key=event.subject().encode(),
                                 headers=[(k, v.encode()) for k, v in headers.items()])


async def _publish_sentinels(producer: AIOKafkaProducer, admin: Account, p: int,
                             version: int) -> None:
    user_id, now = f"{admin.user_id}-{p}", datetime.now(UTC)
    await _send(producer, ACCESS, UserAccess(
        org_id=admin.org_id, user_id=user_id, version=version,
        username=f"sentinel-{p}-{admin.username}"), p)
    await _send(producer, DEVICES, DeviceSnapshot(
        org_id=admin.org_id, device_id=f"dev-{user_id}", version=version,
        platform=Platform.IOS, management_mode=ManagementMode.IOS_SUPERVISED,
        owner=DeviceOwner(user_id=user_id, linked_at=now, source=LinkSource.MANUAL)), p)
    await _send(producer, COMMANDS_STATUS, CommandStatusChanged(
        org_id=admin.org_id, command_id=f"cmd-{user_id}", device_id=f"dev-{user_id}",
        action=Action.REFRESH, status=CommandStatus.QUEUED, version=version,
        requested_by=admin.user_id, occurred_at=now), p)


async def _visible(http: httpx.AsyncClient, admin: Account, p: int) -> bool:
    user_id = f"{admin.user_id}-{p}"
    devices = await http.get("/api/v1/admin/devices",
                             params={"username": f"sentinel-{p}-{admin.username}"})
    command = await http.get(f"/api/v1/commands/cmd-{user_id}")
    return bool(devices.json()["items"]) and command.status_code == 200


async def wait_until_caught_up(base_url: str, bootstrap: str, responder: RpcResponder,
                               timeout_s: float = 90.0,
                               transport: httpx.AsyncBaseTransport | None = None) -> None:
    # Reading a command by id needs a self-service permission, as for any user.
    admin = Account(f"u-catchup-{uuid.uuid4().hex[:8]}", f"catchup-{uuid.uuid4().hex[:8]}",
                    f"admin-{uuid.uuid4().hex[:6]}", uuid.uuid4().hex, ["admin", "ssp.view"])
    responder.register(admin)
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True,
                                **kafka_options())
    await producer.start()
    deadline = time.monotonic() + timeout_s
    try:
        waiting = set(await producer.partitions_for(DEVICES))
        async with httpx.AsyncClient(base_url=base_url, timeout=30,
                                     transport=transport) as http:
            login = await http.post("/api/v1/session", json={
                "username": admin.username, "password": admin.password, "org": admin.org_id})
            assert login.status_code == 200, login.text
            version = 0
            while waiting:
                assert time.monotonic() < deadline, f"partitions {sorted(waiting)} not read"
                version += 1
                for p in sorted(waiting):
                    await _publish_sentinels(producer, admin, p, version)
                await asyncio.sleep(1.0)
                waiting = {p for p in waiting if not await _visible(http, admin, p)}
    finally:
        await producer.stop()
