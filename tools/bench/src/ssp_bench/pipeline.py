"""Pipeline throughput from the public command entry: many `CommandRequested` on
`ssp.commands.requested` (as an integration sends them, docs/events.md) for many enrolled
iPhones, each on behalf of the device's owner; the clock runs from the first publish until
every command is `queued` on `ssp.commands.status` (authorized by the permission-service,
stored and queued by the dispatcher). How long until the devices had them is reported too.
By default each device gets one `lock` and one `refresh`: the dispatcher cancels a command
whose device has the same action pending (`duplicate_pending`), which a larger
SSP_BENCH_PIPELINE_COMMANDS shows among the other outcomes.

The whole portal runs (gateway included, projecting every status, as in production), with
the same setup as click_to_device. apple_dispatch's throughput starts after authorization,
at `ssp.commands.apple`, so it does not measure this.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
import uuid
from datetime import UTC, datetime

from aiokafka import AIOKafkaProducer
from ssp_contracts.commands import CommandRequested
from ssp_contracts.enums import Action
from ssp_contracts.topics import COMMANDS_REQUESTED, COMMANDS_STATUS
from ssp_runtime.kafka_auth import kafka_options

from ssp_bench.authorizer import kafka_record
from ssp_bench.portal import Portal, running_portal
from ssp_bench.received import wait_received
from tests.support.kafka import Tail

ACTIONS = (Action.LOCK, Action.REFRESH)


def _requests(portal: Portal, count: int) -> list[CommandRequested]:
    """Round the devices, alternating lock and refresh on each."""
    owned = [(device, portal.demo.user_id(user)) for user, ids in portal.devices.items()
             for device in ids]
    now = datetime.now(UTC)
    return [CommandRequested(
        org_id=portal.demo.org, command_id=f"cmd-{uuid.uuid4().hex}", device_id=device,
        action=ACTIONS[(i // len(owned)) % len(ACTIONS)], requested_by=user, requested_at=now,
        source="bench") for i, (device, user) in ((i, owned[i % len(owned)])
                                                  for i in range(count))]


async def _until_queued(tail: Tail, ids: set[str], timeout_s: float,
                        ) -> tuple[dict[str, dict[str, float]], dict[str, int]]:
    """Status -> command id -> when the record saying so was produced (epoch s), for
    `authorized` (the permission-service's part done) and `queued` (the dispatcher's); and how
    many commands ended otherwise before being queued, by status and reason."""
    first: dict[str, dict[str, float]] = {"authorized": {}, "queued": {}}
    other: dict[str, str] = {}
    deadline = time.monotonic() + timeout_s
    while len(first["queued"]) + len(other) < len(ids) and time.monotonic() < deadline:
        for record in await tail.poll(0.5):
            body = json.loads(record.value) if record.value else {}
            cid, status = body.get("command_id"), body.get("status")
            if cid not in ids or cid in first["queued"] or cid in other:
                continue
            if status in first:
                first[status].setdefault(cid, record.timestamp / 1000)
            elif status in ("rejected", "failed", "canceled"):
                other[cid] = f"{status}:{body.get('reason_code')}"
        tail.seen.clear()  # thousands of records: keep none once read
    outcomes: dict[str, int] = {}
    for s in other.values():
        outcomes[s] = outcomes.get(s, 0) + 1
    return first, outcomes


async def measure(bootstrap: str, mongo_url: str, *, users: int, per_user: int,
                  count: int | None) -> list[str]:
    count = count or users * per_user * len(ACTIONS)
    async with running_portal(bootstrap, mongo_url, users=users, per_user=per_user) as portal, \
            Tail(bootstrap, COMMANDS_STATUS) as statuses:
        requests = _requests(portal, count)
        producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all",
                                    enable_idempotence=True, linger_ms=5, **kafka_options())
        await producer.start()
        try:
            began = time.time()
            sends = [await producer.send(COMMANDS_REQUESTED, **kafka_record(r))
                     for r in requests]
            await asyncio.gather(*sends)
            published_s = time.time() - began
        finally:
            await producer.stop()
        ids = {r.command_id for r in requests}
        first, outcomes = await _until_queued(statuses, ids, timeout_s=600)
        queued, authorized = first["queued"], first["authorized"]
        received = await wait_received(portal.fleet, queued, timeout_s=120)
    devices = users * per_user
    q_s = max(queued.values()) - began if queued else float("nan")
    r_s = max(received.values()) - began if received else float("nan")
    a_s = max(authorized.values()) - began if authorized else float("nan")
    where = (f"{count:,} commands round {devices} iPhones ({users} users), lock/refresh "
             f"alternating, published in {published_s:.1f} s; four services, 1 process each, "
             f"gateway projecting")
    lines = [
        f"pipeline throughput, CommandRequested on ssp.commands.requested -> queued on "
        f"ssp.commands.status ({where}): {len(queued):,} queued in {q_s:.1f} s = "
        f"{len(queued) / q_s:,.0f} commands/s; not queued within 600 s: "
        f"{count - len(queued) - sum(outcomes.values())}, other outcomes {outcomes or 'none'} "
        f"(target >= 1,000 commands/s sustained); of these, authorized by the "
        f"permission-service: {len(authorized):,} in {a_s:.1f} s",
        f"pipeline, same run, requested -> the device has the command: {len(received):,} of "
        f"{len(queued):,} queued in {r_s:.1f} s = {len(received) / r_s:,.0f} commands/s",
    ]
    for line in lines:
        print(line, flush=True)
    return lines


def run(bootstrap: str, mongo_url: str) -> list[str]:
    """SSP_BENCH_PIPELINE_COMMANDS: default two per device (one of each action)."""
    env = os.environ.get
    return asyncio.run(measure(
        bootstrap, mongo_url, users=int(env("SSP_BENCH_PIPELINE_USERS", "20")),
        per_user=int(env("SSP_BENCH_PIPELINE_DEVICES_PER_USER", "10")),
        count=int(env("SSP_BENCH_PIPELINE_COMMANDS", "0")) or None))
