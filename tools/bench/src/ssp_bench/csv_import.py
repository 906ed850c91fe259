"""CSV import, end to end: a CSV of N rows (default 100,000) uploaded to a real gateway's API
until the gateway reports the import completed, decided and applied by a real device-registry,
over the real broker and database.

The org's devices and users are written straight into the registry's database first (with
their key-index entries), as years of enrollments would have left them; every row links a
device to a user. The gateway's logins are answered by a stand-in for the permission-service
(login is not what is measured). Reported: the upload (spool, check, send all chunks), the
whole import until `completed`, rows per second, and how long the registry's device
snapshots took to leave its outbox.
"""

from __future__ import annotations

import asyncio
import contextlib
import cProfile
import json
import os
import runpy
import signal
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from pymongo import AsyncMongoClient
from ssp_contracts import cloudevents
from ssp_contracts.links import ImportProgress
from ssp_contracts.rpc import CredentialsVerdict
from ssp_contracts.topics import DEVICES, IMPORTS_STATUS, RPC_AUTH_VERIFY
from ssp_devstack.processes import ServiceProcess, free_port
from ssp_runtime.kafka_auth import kafka_options

from ssp_bench.stats import peak_rss_mb

USERS_PER_DEVICE = 0.1  # ten devices per user
BATCH = 5000


def _device(org: str, i: int) -> dict[str, Any]:
    serial = f"BN{i:08d}"
    return {"_id": f"bdev-{org}-{i}", "org_id": org, "device_id": f"bdev-{org}-{i}",
            "version": 1, "platform": "ios", "management_mode": "ios_supervised",
            "enrolled": True, "identifiers": {"serial_number": serial}, "name": f"iPhone {i}",
            "model": "iPhone 15", "os_version": "18.1", "battery_level": 0.8,
            "lost_mode": False, "wipe_state": "none", "owner": None,
            "keys": {"serial_number": serial}}


async def seed(mongo_url: str, database: str, org: str, rows: int) -> tuple[float, int]:
    """Devices and users with their key-index entries; returns seconds and user count."""
    users = max(1, int(rows * USERS_PER_DEVICE))
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(mongo_url, tz_aware=True)
    db = client[database]
    started = time.perf_counter()
    for lo in range(0, rows, BATCH):
        batch = [_device(org, i) for i in range(lo, min(rows, lo + BATCH))]
        await db["devices"].insert_many(batch, ordered=False)
        await db["device_keys"].insert_many([
            {"_id": f"{org}|serial_number|{d['keys']['serial_number']}",
             "entity_id": d["_id"]} for d in batch], ordered=False)
    for lo in range(0, users, BATCH):
        names = [(f"bu-{org}-{i}", f"user{i:06d}") for i in range(lo, min(users, lo + BATCH))]
        await db["users"].insert_many([
            {"_id": uid, "org_id": org, "username": name, "username_key": name,
             "email_key": None, "active": True, "version": 1} for uid, name in names])
        await db["user_keys"].insert_many([
            {"_id": f"{org}|username_key|{name}", "entity_id": uid} for uid, name in names])
    await client.close()
    return time.perf_counter() - started, users


def csv_bytes(rows: int, users: int) -> bytes:
    lines = ["serial_number,username"]
    lines += [f"BN{i:08d},user{i % users:06d}" for i in range(rows)]
    return ("\n".join(lines) + "\n").encode()


async def _from_end(consumer: AIOKafkaConsumer, topic: str) -> None:
    """Read `topic` (every partition, no group) from its current end."""
    parts: set[int] | None = None
    for _ in range(100):
        parts = consumer.partitions_for_topic(topic)
        if parts:
            break
        await consumer._client.force_metadata_update()
        await asyncio.sleep(0.1)
    tps = [TopicPartition(topic, p) for p in sorted(parts or [])]
    consumer.assign(tps)
    await consumer.seek_to_end(*tps)
    for tp in tps:
        await consumer.position(tp)


class LoginStandIn:
    """Answers VerifyCredentials for the bench's admin only (see the module doc)."""

    def __init__(self, bootstrap: str, org: str, username: str, password: str) -> None:
        self.bootstrap, self.org, self.username, self.password = (bootstrap, org, username,
                                                                  password)
        self._task: asyncio.Task[None] | None = None
        self.producer: AIOKafkaProducer | None = None
        self.consumer: AIOKafkaConsumer | None = None

    async def start(self) -> None:
        self.producer = AIOKafkaProducer(bootstrap_servers=self.bootstrap, acks="all",
                                         **kafka_options())
        await self.producer.start()
        self.consumer = AIOKafkaConsumer(bootstrap_servers=self.bootstrap, group_id=None,
                                         fetch_max_wait_ms=50, **kafka_options())
        await self.consumer.start()
        await _from_end(self.consumer, RPC_AUTH_VERIFY)
        self._task = asyncio.create_task(self._answer())

    async def _answer(self) -> None:
        while True:
            for records in (await self.consumer.getmany(timeout_ms=200)).values():
                for record in records:
                    body = json.loads(record.value or b"{}")
                    headers = {k: v.decode() for k, v in record.headers or ()}
                    if (body.get("org_id"), body.get("username")) != (self.org, self.username):
                        continue
                    verdict = CredentialsVerdict(
                        ok=body.get("password") == self.password, user_id=f"bu-admin-{self.org}",
                        org_id=self.org, username=self.username, permissions=["admin"])
                    await self.producer.send_and_wait(
                        headers["reply_to"], verdict.model_dump_json().encode(),
                        headers=[("correlation_id", headers["correlation_id"].encode())])

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        for client in (self.consumer, self.producer):
            if client is not None:
                await client.stop()


async def _wait_projected(http: httpx.AsyncClient, bootstrap: str, org: str) -> None:
    """The gateway's new import-status group starts at the end: wait until it reads every
    partition (a sentinel per partition, visible through the API)."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", **kafka_options())
    await producer.start()
    try:
        waiting = set(await producer.partitions_for(IMPORTS_STATUS))
        version, deadline = 0, time.monotonic() + 120
        while waiting and time.monotonic() < deadline:
            version += 1
            for p in waiting:
                event = ImportProgress(org_id=org, import_id=f"sentinel-{p}", version=version,
                                       status="completed", dry_run=True, total=0, done=0)
                headers = cloudevents.to_headers(event, source="bench")
                await producer.send_and_wait(IMPORTS_STATUS, cloudevents.to_value(event),
                                             key=event.import_id.encode(), partition=p,
                                             headers=[(k, v.encode()) for k, v in headers.items()])
            await asyncio.sleep(0.5)
            waiting = {p for p in waiting
                       if (await http.get(f"/api/v1/admin/imports/sentinel-{p}")).status_code
                       != 200}
    finally:
        await producer.stop()


async def _snapshots_from_now(bootstrap: str) -> AIOKafkaConsumer:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None,
                                fetch_max_wait_ms=100, **kafka_options())
    await consumer.start()
    await _from_end(consumer, DEVICES)
    return consumer


async def _count_snapshots(consumer: AIOKafkaConsumer, org: str, expected: int,
                           timeout_s: float) -> tuple[int, float]:
    seen, started, last = 0, time.perf_counter(), 0.0
    marker = f'"org_id":"{org}"'.encode()
    while seen < expected and time.perf_counter() - started < timeout_s:
        for records in (await consumer.getmany(timeout_ms=500)).values():
            seen += sum(1 for r in records if r.value and marker in r.value)
            last = time.perf_counter()
    return seen, last


async def measure(bootstrap: str, mongo_url: str, rows: int, dry_run: bool,
                  profile_dir: Path | None = None) -> list[str]:
    run = uuid.uuid4().hex[:8]
    org = f"bench-{run}"
    logdir = Path(tempfile.mkdtemp(prefix="ssp-bench-import-"))
    seconds, users = await seed(mongo_url, f"bench_{run}_registry", org, rows)
    print(f"seeded {rows} devices and {users} users in {seconds:.1f} s", flush=True)
    common = {"KAFKA_BOOTSTRAP_SERVERS": bootstrap, "MONGODB_URL": mongo_url,
              "SSP_LOG_LEVEL": os.environ.get("SSP_BENCH_LOG_LEVEL", "WARNING"),
              "SSP_HEARTBEAT_INTERVAL_S": "10"}

    def process(module: str, env: dict[str, str]) -> ServiceProcess:
        args: list[str] = []
        if profile_dir is not None:  # cProfile around the service, written when it stops
            args = ["--profile", str(profile_dir / f"{module}.prof"), module]
            module = "ssp_bench.csv_import"
        return ServiceProcess(module, free_port(), {**common, **env},
                              logdir / f"{env['SSP_MONGODB_DATABASE']}.log", args=args)

    registry = process("device_registry", {"SSP_MONGODB_DATABASE": f"bench_{run}_registry"})
    gateway = process("portal_gateway", {
        "SSP_MONGODB_DATABASE": f"bench_{run}_gateway", "SSP_DEMO_MODE": "true",
        "SSP_CONSUMER_GROUP_PREFIX": f"portal-gateway-bench-{run}",
        "SSP_PROJECTIONS_FROM_BEGINNING": "false"})
    admin = ("bench-admin", uuid.uuid4().hex)
    login = LoginStandIn(bootstrap, org, *admin)
    lines: list[str] = []
    try:
        registry.start(timeout=300)
        gateway.start(timeout=120)
        await login.start()
        async with httpx.AsyncClient(base_url=gateway.url, timeout=300) as http:
            resp = await http.post("/api/v1/session", json={
                "username": admin[0], "password": admin[1], "org": org})
            resp.raise_for_status()
            csrf = resp.json()["csrf_token"]
            await _wait_projected(http, bootstrap, org)
            content = csv_bytes(rows, users)
            snapshots = await _snapshots_from_now(bootstrap)
            t0 = time.perf_counter()
            resp = await http.post("/api/v1/admin/imports", headers={"X-CSRF-Token": csrf},
                                   files={"file": ("bench.csv", content, "text/csv")},
                                   data={"dry_run": "true" if dry_run else "false"})
            t_sent = time.perf_counter() - t0
            resp.raise_for_status()
            import_id = resp.json()["import_id"]
            status: dict[str, Any] = {}
            while time.perf_counter() - t0 < 3600:
                status = (await http.get(f"/api/v1/admin/imports/{import_id}")).json()
                if status["status"] != "running":
                    break
                await asyncio.sleep(0.2)
            t_done = time.perf_counter() - t0
            assert registry.proc is not None and gateway.proc is not None
            memory = (f"peak RSS registry {peak_rss_mb(registry.proc.pid):.0f} MiB, gateway "
                      f"{peak_rss_mb(gateway.proc.pid):.0f} MiB")
            kind = "dry run" if dry_run else "linking every row"
            lines.append(
                f"CSV import of {rows} rows ({kind}; {rows} devices, {users} users in the org):"
                f" upload checked and sent in {t_sent:.1f} s, {status.get('status')} after "
                f"{t_done:.1f} s = {rows / t_done:.0f} rows/s end to end "
                f"(counts {status.get('counts')}); {memory} (target <= 15 s)")
            if not dry_run:
                linked = status.get("counts", {}).get("linked", 0)
                seen, last = await _count_snapshots(snapshots, org, linked, timeout_s=120)
                lines.append(f"CSV import, then: device snapshots published by the registry: "
                             f"{seen} of {linked} within {last - t0:.1f} s of the upload")
            await snapshots.stop()
        for line in lines:
            print(line, flush=True)
        return lines
    finally:
        gateway.stop(timeout=60)
        registry.stop(timeout=60)
        await login.stop()
        print(f"logs: {logdir}", flush=True)


def run(bootstrap: str, mongo_url: str) -> list[str]:
    rows = int(os.environ.get("SSP_BENCH_IMPORT_ROWS", "100000"))
    modes = os.environ.get("SSP_BENCH_IMPORT_MODES", "dry,real").split(",")
    profile = os.environ.get("SSP_BENCH_IMPORT_PROFILE_DIR")
    lines: list[str] = []
    for mode in modes:
        lines += asyncio.run(measure(bootstrap, mongo_url, rows, dry_run=mode == "dry",
                                     profile_dir=Path(profile) if profile else None))
    return lines


def profiled(out: str, module: str) -> None:
    """Runs a service module under cProfile. uvicorn hands SIGTERM back to the handler it
    found once it shut down, so the profile is written then (`python -m cProfile` never
    gets to write it)."""
    profiler = cProfile.Profile()

    def dump(_signum: int, _frame: Any) -> None:
        profiler.disable()
        profiler.dump_stats(out)
        os._exit(0)

    signal.signal(signal.SIGTERM, dump)
    profiler.enable()
    runpy.run_module(module, run_name="__main__")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--profile"]:
        profiled(sys.argv[2], sys.argv[3])
    else:
        print(datetime.now(UTC).isoformat())
        for figure in run(os.environ["KAFKA_BOOTSTRAP_SERVERS"], os.environ["MONGODB_URL"]):
            print(figure)
