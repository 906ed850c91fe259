"""`GET /api/v1/devices` on one gateway process (one uvicorn worker): latency at a fixed rate
and the most requests per second, for N users with M devices each.

The accounts and devices reach the gateway the way they do in production, as `UserAccess` and
`DeviceSnapshot` events on Kafka, and every user logs in through `POST /api/v1/session` (the
login verdicts come from a stand-in for the permission-service, as in the gateway tests); the
measurement starts once the gateway has projected every event ("seeded in" counts sending,
projecting and logging in; "ready in" is the start-up of a gateway with an empty projection).
Every request carries one of
the N session cookies, round robin. Latency at the fixed rate counts from when a request was
due, not when it left, so a stalled server is not hidden by a stalled client (no coordinated
omission).
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from ssp_contracts import cloudevents
from ssp_contracts.access import UserAccess
from ssp_contracts.base import Event
from ssp_contracts.devices import DeviceIdentifiers, DeviceOwner, DeviceSnapshot
from ssp_contracts.enums import LinkSource, ManagementMode, Permission, Platform
from ssp_contracts.topics import ACCESS, DEVICES
from ssp_devstack.processes import ServiceProcess, free_port
from ssp_runtime.kafka_auth import kafka_options

from ssp_bench.stats import cpu_seconds, fmt, peak_rss_mb, percentiles
from tests.gateway.rpc_responder import Account, RpcResponder

PERMISSIONS = [p.value for p in Permission if p is not Permission.ADMIN]
IN_FLIGHT = 1000  # events sent before waiting for their acknowledgements
# Projecting goes at the pace of the gateway's database writes: allow for a large fleet (the
# 1,000,000-device run projects for a long time before it measures anything).
SEED_BASE_S = 300.0
SEED_EVENTS_PER_S = 200


def _account(org: str, name: str) -> Account:
    return Account(user_id=f"u-{name}", org_id=org, username=name,
                   password=secrets.token_urlsafe(16), permissions=PERMISSIONS)


def _access(account: Account, version: int = 1, display_name: str | None = None) -> UserAccess:
    return UserAccess(org_id=account.org_id, user_id=account.user_id, version=version,
                      username=account.username,
                      display_name=display_name or f"User {account.username}",
                      permissions=account.permissions)  # type: ignore[arg-type]


def _device(org: str, device_id: str, owner: Account | None, now: datetime,
            version: int = 1) -> DeviceSnapshot:
    return DeviceSnapshot(
        org_id=org, device_id=device_id, version=version, platform=Platform.IOS,
        management_mode=ManagementMode.IOS_SUPERVISED, name=f"iPhone {device_id}",
        model="iPhone 15", identifiers=DeviceIdentifiers(serial_number=device_id.upper()),
        os_version="18.2", battery_level=0.8, storage_total_bytes=128_000_000_000,
        storage_free_bytes=51_000_000_000, last_contact_at=now,
        owner=None if owner is None else DeviceOwner(
            user_id=owner.user_id, username=owner.username, linked_at=now,
            source=LinkSource.MANUAL))


async def _send(producer: AIOKafkaProducer, topic: str, event: Event,
                partition: int | None = None) -> asyncio.Future[object]:
    headers = cloudevents.to_headers(event, source="ssp_bench.gateway_reads")
    return await producer.send(topic, cloudevents.to_value(event), key=event.subject().encode(),
                               partition=partition,
                               headers=[(k, v.encode()) for k, v in headers.items()])


async def _until(check: Callable[[], Awaitable[bool]], what: str, deadline: float) -> None:
    while not await check():
        if time.monotonic() > deadline:
            raise TimeoutError(f"the gateway did not show {what} in time")
        await asyncio.sleep(0.5)


async def _login(http: httpx.AsyncClient, account: Account) -> str:
    resp = await http.post("/api/v1/session", json={
        "org": account.org_id, "username": account.username, "password": account.password})
    resp.raise_for_status()
    cookie = resp.cookies.get("ssp_session")
    assert cookie, "the login set no session cookie"
    return cookie


class Marks:
    """Events the gateway must have read, one per partition, seen by a watcher account through
    the API (its live feed, or its projection) and counted by the gateway's projection consumer
    groups (`<SSP_CONSUMER_GROUP_PREFIX>.<topic>`, asked of the broker): a partition is read in
    order, so once its mark is seen and committed, every event sent to it before is projected."""

    def __init__(self, producer: AIOKafkaProducer, http: httpx.AsyncClient, org: str,
                 watcher: Account, bootstrap: str, group_prefix: str) -> None:
        self.producer, self.http, self.org, self.watcher = producer, http, org, watcher
        self.bootstrap, self.group_prefix = bootstrap, group_prefix
        self.version = 1
        self.now = datetime.now(UTC)

    async def committed(self, topic: str) -> bool:
        """Has the gateway's projection group committed the end of every partition?"""
        admin = AIOKafkaAdminClient(bootstrap_servers=self.bootstrap, **kafka_options())
        offsets = AIOKafkaConsumer(bootstrap_servers=self.bootstrap, group_id=None,
                                   enable_auto_commit=False, **kafka_options())
        await admin.start()
        await offsets.start()
        try:
            done = await admin.list_consumer_group_offsets(f"{self.group_prefix}.{topic}")
            parts = [TopicPartition(topic, p)
                     for p in sorted(await self.producer.partitions_for(topic))]
            ends = await offsets.end_offsets(parts)
            return all(tp in done and done[tp].offset >= ends[tp] for tp in parts)
        finally:
            await offsets.stop()
            await admin.close()

    async def devices(self, deadline: float) -> None:
        """A device of the watcher on every partition of ssp.devices, its name saying which
        round, sent again until the watcher's list shows every one (one sent before the
        consumers were assigned is lost) and the projection group committed them."""
        partitions = sorted(await self.producer.partitions_for(DEVICES))
        self.version += 1
        name = f"mark {self.version}"

        async def seen() -> bool:
            # Until the first mark is projected the watcher has no device: the list is then
            # refused (403, no portal access) and says no items.
            items = (await self.http.get("/api/v1/devices")).json().get("items", [])
            shown = {item["id"] for item in items if item.get("name") == name}
            waiting = [p for p in partitions if f"mark-{p}" not in shown]
            if not waiting:
                return await self.committed(DEVICES)
            self.version += 1
            for p in waiting:
                mark = _device(self.org, f"mark-{p}", self.watcher, self.now, self.version)
                await _send(self.producer, DEVICES, mark.model_copy(update={"name": name}), p)
            await self.producer.flush()
            return False
        await _until(seen, "a device on every partition", deadline)

    async def access(self, deadline: float) -> None:
        """The watcher's own account, sent to each partition of ssp.access in turn with a newer
        version and a name saying which, until `/api/v1/me` shows that name."""
        for p in sorted(await self.producer.partitions_for(ACCESS)):
            name = f"watcher of partition {p}, mark {uuid.uuid4().hex[:6]}"

            async def seen(p: int = p, name: str = name) -> bool:
                self.version += 1
                await (await _send(self.producer, ACCESS,
                                   _access(self.watcher, self.version, name), p))
                await asyncio.sleep(0.2)
                return (await self.http.get("/api/v1/me")).json().get("display_name") == name
            await _until(seen, f"the account mark on partition {p} of ssp.access", deadline)
        await _until(lambda: self.committed(ACCESS), "every account projected", deadline)


async def seed(bootstrap: str, gateway_url: str, group_prefix: str, org: str, users: int,
               per_user: int, extra_devices: int) -> list[str]:
    """Accounts, devices (per_user each, plus unlinked ones) sent as events once the gateway's
    consumers read every partition, then projected; one login per user. Returns the session
    cookies."""
    deadline = time.monotonic() + SEED_BASE_S + (
        users + users * per_user + extra_devices) / SEED_EVENTS_PER_S
    now = datetime.now(UTC)
    accounts = [_account(org, f"user{n}") for n in range(users)]
    watcher = _account(org, "watcher")
    responder = RpcResponder(bootstrap)
    for account in [watcher, *accounts]:
        responder.register(account)
    await responder.start()
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all",
                                enable_idempotence=True, linger_ms=5, **kafka_options())
    await producer.start()
    try:
        async with httpx.AsyncClient(base_url=gateway_url, timeout=30) as http:
            http.cookies.set("ssp_session", await _login(http, watcher))
            marks = Marks(producer, http, org, watcher, bootstrap, group_prefix)
            await marks.devices(deadline)  # the consumers are assigned from here on
            await marks.access(deadline)
            total = users * per_user + extra_devices
            pending: list[asyncio.Future[object]] = []
            for event in [*(_access(a) for a in accounts),
                          *(_device(org, f"dev-{n:08d}",
                                    accounts[n // per_user] if n < users * per_user else None,
                                    now) for n in range(total))]:
                pending.append(await _send(producer, ACCESS if isinstance(event, UserAccess)
                                           else DEVICES, event))
                if len(pending) >= IN_FLIGHT:
                    await asyncio.gather(*pending)
                    pending.clear()
            await asyncio.gather(*pending)
            await marks.devices(deadline)
            await marks.access(deadline)
            logins = httpx.AsyncClient(base_url=gateway_url, timeout=30)
            async with logins:
                cookies = []
                for account in accounts:
                    logins.cookies.clear()
                    cookies.append(await _login(logins, account))
            return cookies
    finally:
        await producer.stop()
        await responder.stop()


class Connection:
    """One keep-alive HTTP/1.1 connection. httpx's pool spends its time sorting thousands of
    waiting requests (seen with py-spy), so the driver uses a fixed set of these instead."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def get(self, path: str, cookie: str) -> tuple[int, bytes]:
        try:
            return await self._get(path, cookie)
        except (asyncio.IncompleteReadError, ConnectionError):
            # The server closes a keep-alive connection idle for 5 s (uvicorn's default):
            # a request on it fails before any answer, so it is sent again on a new one.
            await self.close()
            return await self._get(path, cookie)

    async def _get(self, path: str, cookie: str) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        self.writer.write(f"GET {path} HTTP/1.1\r\nHost: {self.host}\r\n"
                          f"Cookie: ssp_session={cookie}\r\n\r\n".encode())
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        length = next(int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                      if line.lower().startswith(b"content-length:"))
        return status, await self.reader.readexactly(length)

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None


async def _get(conn: Connection, cookie: str, per_user: int) -> None:
    status, body = await conn.get("/api/v1/devices", cookie)
    if status != 200 or len(json.loads(body)["items"]) != per_user:
        raise RuntimeError(f"unexpected answer {status}: {body[:200]!r}")


async def fixed_rate(conns: list[Connection], cookies: list[str], per_user: int, rate: float,
                     seconds: float) -> tuple[dict[str, float], int]:
    """Requests due every 1/rate s, taken by whichever connection is free; latency from when
    each was due (a request waiting for a connection is late, and counted so)."""
    samples: list[float] = []
    errors = 0
    count = int(rate * seconds)
    start = time.perf_counter() + 0.1
    due: asyncio.Queue[int | None] = asyncio.Queue()

    async def pace() -> None:
        for i in range(count):
            await asyncio.sleep(max(0.0, start + i / rate - time.perf_counter()))
            due.put_nowait(i)
        for _ in conns:
            due.put_nowait(None)

    async def worker(conn: Connection) -> None:
        nonlocal errors
        while (i := await due.get()) is not None:
            try:
                await _get(conn, cookies[i % len(cookies)], per_user)
                samples.append((time.perf_counter() - (start + i / rate)) * 1000)
            except Exception:
                errors += 1
                await conn.close()

    await asyncio.gather(pace(), *(worker(c) for c in conns))
    return percentiles(samples), errors


async def flat_out(conns: list[Connection], cookies: list[str], per_user: int,
                   seconds: float) -> tuple[float, dict[str, float], int]:
    """Each connection sends its next request when the last one answered."""
    samples: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds

    async def client(k: int, conn: Connection) -> None:
        nonlocal errors
        i = k
        while time.perf_counter() < deadline:
            sent = time.perf_counter()
            try:
                await _get(conn, cookies[i % len(cookies)], per_user)
                samples.append((time.perf_counter() - sent) * 1000)
            except Exception:
                errors += 1
                await conn.close()
            i += len(conns)

    began = time.perf_counter()
    await asyncio.gather(*(client(k, c) for k, c in enumerate(conns)))
    return len(samples) / (time.perf_counter() - began), percentiles(samples), errors


def _profile(pid: int, seconds: float, out: Path | None) -> subprocess.Popen[bytes] | None:
    """py-spy samples the gateway while it is loaded (a speedscope file to open later)."""
    if out is None:
        return None
    out.parent.mkdir(parents=True, exist_ok=True)
    return subprocess.Popen(  # noqa: S603 - our own dev tool, fixed arguments
        [str(Path(sys.executable).with_name("py-spy")), "record", "--pid", str(pid),
         "--duration", str(int(seconds)), "--format", "speedscope", "--nonblocking",
         "-o", str(out)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


async def measure(bootstrap: str, mongo_url: str, *, users: int, per_user: int,
                  extra_devices: int, rate: float, seconds: float, concurrency: int,
                  memory_reads: bool, profile_dir: Path | None = None) -> list[str]:
    org = f"bench{uuid.uuid4().hex[:6]}"
    database = f"bench_gw_{org}"
    registry = users * per_user + extra_devices
    gateway = ServiceProcess("portal_gateway", free_port(), {
        "KAFKA_BOOTSTRAP_SERVERS": bootstrap, "MONGODB_URL": mongo_url,
        "SSP_MONGODB_DATABASE": database, "SSP_LOG_LEVEL": "WARNING",
        "SSP_CONSUMER_GROUP_PREFIX": f"portal-gateway-{org}",
        "SSP_PROJECTIONS_FROM_BEGINNING": "false",
        # Every user logs in from this one address before the measurement.
        "SSP_LOGIN_ADDRESS_LIMIT": str(users + 100),
        "SSP_MEMORY_READS": str(memory_reads).lower(),
        "SSP_SESSION_CACHE_S": os.environ.get("SSP_BENCH_GW_SESSION_CACHE_S", "5"),
        **({"SSP_MEMORY_RESYNC_S": resync} if (resync := os.environ.get(
            "SSP_BENCH_GW_RESYNC_S")) else {}),
    }, Path(tempfile.mkdtemp(prefix="ssp-bench-")) / "gateway.log")
    conns = [Connection("127.0.0.1", gateway.port) for _ in range(concurrency)]
    try:
        starting = time.perf_counter()
        gateway.start(timeout=90)
        started_s = time.perf_counter() - starting
        began = time.perf_counter()
        cookies = await seed(bootstrap, gateway.url, f"portal-gateway-{org}", org, users,
                             per_user, extra_devices)
        seeded_s = time.perf_counter() - began
        for i, cookie in enumerate(cookies):  # warm-up: connections, every session once
            await _get(conns[i % concurrency], cookie, per_user)
        paced, paced_errors = await fixed_rate(conns, cookies, per_user, rate, seconds)
        assert gateway.proc is not None
        spy = _profile(gateway.proc.pid, seconds, profile_dir and profile_dir / (
            f"gateway-reads-{'memory' if memory_reads else 'db'}.speedscope.json"))
        cpu_before = cpu_seconds(gateway.proc.pid)
        rps, loaded, loaded_errors = await flat_out(conns, cookies, per_user, seconds)
        cpu_ms = (cpu_seconds(gateway.proc.pid) - cpu_before) * 1000 / max(1, loaded["n"])
        if spy is not None:
            spy.wait(timeout=seconds + 30)
        rss_mb = peak_rss_mb(gateway.proc.pid)
    finally:
        for conn in conns:
            await conn.close()
        gateway.stop()
    resync = os.environ.get("SSP_BENCH_GW_RESYNC_S")
    reads = (f"SSP_MEMORY_READS=true, SSP_SESSION_CACHE_S="
             f"{os.environ.get('SSP_BENCH_GW_SESSION_CACHE_S', '5')}"
             f"{f', SSP_MEMORY_RESYNC_S={resync}' if resync else ''}" if memory_reads
             else "reads from FerretDB")
    where = (f"{users:,} users x {per_user} devices, {registry:,} devices in the projection, "
             f"1 uvicorn worker, SSP_EVENT_LOOP={os.environ.get('SSP_EVENT_LOOP', 'auto')}, "
             f"{reads}; seeded in {seeded_s:.0f} s, gateway ready in {started_s:.0f} s, "
             f"gateway peak RSS {rss_mb:,.0f} MiB")
    return [
        f"GET /api/v1/devices at {rate:.0f} req/s for {seconds:.0f} s ({where}): "
        f"{fmt(paced)}, {paced_errors} errors (target p99 <= 25 ms)",
        f"GET /api/v1/devices flat out, {concurrency} keep-alive connections for {seconds:.0f} s "
        f"({where}): {rps:,.0f} req/s, {fmt(loaded)}, {loaded_errors} errors, "
        f"gateway CPU {cpu_ms:.2f} ms per request "
        f"(target >= 1,500 req/s)",
    ]


def run(bootstrap: str, mongo_url: str) -> list[str]:
    """SSP_BENCH_GW_MODES=memory (default) or memory,db: with memory reads, then reading
    FerretDB (the before; its paced run queues for about 15 minutes, since FerretDB answers
    ~11 req/s there). SSP_BENCH_GW_EXTRA_DEVICES adds unlinked devices (997000 with the
    default 1,000 x 3 makes the 1,000,000-device run); SSP_BENCH_GW_RESYNC_S sets the
    gateway's SSP_MEMORY_RESYNC_S (its full reload of the projection)."""
    env = os.environ.get
    profile = env("SSP_BENCH_GW_PROFILE_DIR")
    lines: list[str] = []
    for mode in env("SSP_BENCH_GW_MODES", "memory").split(","):
        lines += asyncio.run(measure(
            bootstrap, mongo_url, users=int(env("SSP_BENCH_GW_USERS", "1000")),
            per_user=int(env("SSP_BENCH_GW_DEVICES_PER_USER", "3")),
            extra_devices=int(env("SSP_BENCH_GW_EXTRA_DEVICES", "0")),
            rate=float(env("SSP_BENCH_GW_RATE", "500")),
            seconds=float(env("SSP_BENCH_GW_SECONDS", "20")),
            concurrency=int(env("SSP_BENCH_GW_CONCURRENCY", "32")),
            memory_reads=mode == "memory", profile_dir=Path(profile) if profile else None))
    return lines


if __name__ == "__main__":
    for line in run(os.environ["KAFKA_BOOTSTRAP_SERVERS"], os.environ["MONGODB_URL"]):
        print(line)
