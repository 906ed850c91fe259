"""The authorizer's decisions per second: a real permission-service process decides N
`CommandRequested` for devices it knows from `ssp.devices`; the clock runs from the first
publish until N decisions are on `ssp.commands.status`."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from ssp_contracts import cloudevents
from ssp_contracts.base import Event
from ssp_contracts.commands import CommandRequested
from ssp_contracts.devices import DeviceOwner, DeviceSnapshot
from ssp_contracts.enums import Action, LinkSource, ManagementMode, Platform
from ssp_contracts.rpc import AdminReply, AdminRequest, CredentialsVerdict, VerifyCredentials
from ssp_contracts.topics import (
    COMMANDS_REQUESTED,
    COMMANDS_STATUS,
    DEVICES,
    RPC_ADMIN,
    RPC_AUTH_VERIFY,
    spec_for,
)
from ssp_devstack.processes import ServiceProcess, free_port
from ssp_runtime.kafka import EventPublisher, ensure_topics
from ssp_runtime.kafka_auth import kafka_options
from ssp_runtime.rpc import RpcClient

ADMIN, PASSWORD = "bench-admin", "bench-admin-password-1"


def kafka_record(event: Event) -> dict[str, object]:
    """`AIOKafkaProducer.send`'s arguments for a contract event (CloudEvents binary mode)."""
    headers = cloudevents.to_headers(event, source="bench")
    return {"value": cloudevents.to_value(event), "key": event.subject().encode(),
            "headers": [(k, v.encode()) for k, v in headers.items()]}


async def _owner(bootstrap: str, org: str) -> str:
    reply = f"ssp.rpc.replies.bench-{uuid.uuid4().hex[:6]}"
    await ensure_topics(bootstrap, [reply])
    publisher = EventPublisher(bootstrap, "bench", "bench")
    await publisher.start()
    rpc = RpcClient(bootstrap, publisher, reply, 60)
    await rpc.start()
    try:
        admin = await rpc.request(RPC_AUTH_VERIFY, VerifyCredentials(
            org_id=org, username=ADMIN, password=PASSWORD), CredentialsVerdict)
        created = await rpc.request(RPC_ADMIN, AdminRequest(
            org_id=org, request_id=uuid.uuid4().hex, actor_user_id=admin.user_id or "",
            op="create_user", payload={"username": f"owner-{uuid.uuid4().hex[:6]}",
                                       "role_ids": ["builtin-ssp-full"]}), AdminReply)
        return str(created.data["user_id"])
    finally:
        await rpc.stop()
        await publisher.stop()


async def measure(bootstrap: str, mongo_url: str, count: int, devices: int = 200) -> str:
    org = f"bench{uuid.uuid4().hex[:6]}"
    service = ServiceProcess("permission_service", free_port(), {
        "KAFKA_BOOTSTRAP_SERVERS": bootstrap, "MONGODB_URL": mongo_url,
        "SSP_MONGODB_DATABASE": f"bench_{org}", "SSP_LOG_LEVEL": "WARNING",
        "SSP_BOOTSTRAP_ADMIN_ORG": org, "SSP_BOOTSTRAP_ADMIN_USERNAME": ADMIN,
        "SSP_BOOTSTRAP_ADMIN_PASSWORD": PASSWORD,
    }, Path(tempfile.mkdtemp(prefix="ssp-bench-")) / "permission.log")
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all",
                                enable_idempotence=True, linger_ms=5, **kafka_options())
    status = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None,
                              fetch_max_wait_ms=100, **kafka_options())
    try:
        service.start(timeout=90)
        owner = await _owner(bootstrap, org)
        await producer.start()
        now = datetime.now(UTC)
        ids = [f"dev-{uuid.uuid4().hex[:10]}" for _ in range(devices)]
        await asyncio.gather(*[await producer.send(DEVICES, **kafka_record(DeviceSnapshot(
            org_id=org, device_id=d, version=1, platform=Platform.IOS,
            management_mode=ManagementMode.IOS_SUPERVISED,
            owner=DeviceOwner(user_id=owner, linked_at=now, source=LinkSource.MANUAL))))
            for d in ids])
        await status.start()
        parts = [TopicPartition(COMMANDS_STATUS, p)
                 for p in range(spec_for(COMMANDS_STATUS).partitions)]
        status.assign(parts)
        await status.seek_to_end(*parts)
        for tp in parts:
            await status.position(tp)
        wanted: set[str] = set()
        started = time.perf_counter()
        sends = []
        for i in range(count):
            request = CommandRequested(org_id=org, command_id=f"cmd-{uuid.uuid4().hex}",
                                       device_id=ids[i % devices], action=Action.LOCK,
                                       requested_by=owner, requested_at=now)
            wanted.add(request.command_id)
            sends.append(await producer.send(COMMANDS_REQUESTED, **kafka_record(request)))
        await asyncio.gather(*sends)
        decided: dict[str, str] = {}
        while len(decided) < count and time.perf_counter() - started < 300:
            for records in (await status.getmany(timeout_ms=500)).values():
                for r in records:
                    body = json.loads(r.value)
                    if body["command_id"] in wanted:
                        decided.setdefault(body["command_id"], body["status"])
        elapsed = time.perf_counter() - started
        outcomes = {s: list(decided.values()).count(s) for s in set(decided.values())}
        line = (f"authorizer: {len(decided)} of {count} decisions in {elapsed:.1f} s = "
                f"{len(decided) / elapsed:.0f} decisions/s (outcomes {outcomes})")
        print(line, flush=True)
        return line
    finally:
        service.stop()  # first: a leftover instance would answer the next run's requests
        with contextlib.suppress(Exception):
            await status.stop()
        with contextlib.suppress(Exception):
            await producer.stop()


def run(bootstrap: str, mongo_url: str) -> str:
    count = int(os.environ.get("SSP_BENCH_AUTHORIZER_COMMANDS", "1000"))
    return asyncio.run(measure(bootstrap, mongo_url, count))
