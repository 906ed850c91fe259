"""The whole command path for the end-to-end benches: the four services as real processes
(one Apple-only dispatcher), enrolled simulated iPhones behind the stand-in APNs, users with
the full-access role created through the admin API, their devices linked the way an
administrator links them, and one logged-in session (with its CSRF token) per user.

The pieces are the tests' own (tests/browser, tests/gateway, tests/support): `python -m
ssp_bench` runs from the repository root, which __main__ puts on sys.path.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from ssp_contracts.topics import DEVICES
from ssp_devstack.processes import ServiceProcess, free_port
from ssp_simulators.apple.fleet import AppleFleet

from tests.browser.demo_org import DemoOrg
from tests.browser.device_links import link_devices
from tests.browser.portal_stack import demo_env, enroll_all
from tests.browser.projection_catch_up import wait_until_caught_up
from tests.gateway.portal_world import ALL_SELF_SERVICE, Browser
from tests.gateway.rpc_responder import Account
from tests.support.kafka import Producer, Tail
from tests.support.waiting import eventually

FULL_ACCESS_ROLE = "builtin-ssp-full"


@dataclass
class BenchOrg(DemoOrg):
    """A demo org whose bench users are created, not seeded: their ids come from the admin
    API's answer, so the demo links (`link_devices`) find them by username."""

    created: dict[str, str] = field(default_factory=dict)  # username -> user id

    def user_id(self, username: str) -> str:
        return self.created.get(username) or super().user_id(username)


@dataclass
class Portal:
    demo: BenchOrg
    fleet: AppleFleet
    procs: dict[str, ServiceProcess]
    producer: Producer
    browsers: list[Browser]  # one logged-in user each
    devices: dict[str, list[str]]  # username -> the ids of the devices linked to that user


def _start(demo: BenchOrg, fleet: AppleFleet, device_port: int, bootstrap: str, mongo_url: str,
           gateway_env: dict[str, str]) -> dict[str, ServiceProcess]:
    """All four at once, each with a database of its own; then each one's readiness."""
    run = f"bench{uuid.uuid4().hex[:8]}"
    logs = Path(tempfile.mkdtemp(prefix="ssp-bench-"))
    env = {"KAFKA_BOOTSTRAP_SERVERS": bootstrap, "MONGODB_URL": mongo_url,
           "SSP_LOG_LEVEL": "WARNING", **demo_env(demo)}
    extra = {
        "command_dispatcher": {"SSP_DEVICE_HTTP_PORT": str(device_port),
                               "SSP_APNS_BASE_URL": fleet.apns_url},
        # Its projections start at the topics' end; wait_until_caught_up covers the gap.
        "portal_gateway": {"SSP_CONSUMER_GROUP_PREFIX": f"portal-gateway-{demo.org}",
                           "SSP_PROJECTIONS_FROM_BEGINNING": "false", **gateway_env},
    }
    procs = {}
    for module in ("permission_service", "device_registry", "command_dispatcher",
                   "portal_gateway"):
        procs[module] = ServiceProcess(
            module, free_port(), {**env, "SSP_MONGODB_DATABASE": f"{run}_{module}",
                                  **extra.get(module, {})}, logs / f"{module}.log",
            args=["--platform", "apple"] if module == "command_dispatcher" else [])
        procs[module].start(wait=False)
    for proc in procs.values():
        proc.wait_ready(120)
    return procs


async def _create_users(demo: BenchOrg, admin: Browser, count: int) -> list[Account]:
    accounts = []
    for i in range(count):
        username, password = f"bench-{i:03d}", secrets.token_urlsafe(12)
        resp = await admin.post("/api/v1/admin/users", {
            "username": username, "password": password, "role_ids": [FULL_ACCESS_ROLE]})
        assert resp.status_code == 201, resp.text
        user_id = resp.json()["data"]["user_id"]
        demo.created[username] = user_id
        accounts.append(Account(user_id, demo.org, username, password, ALL_SELF_SERVICE))
    return accounts


async def _sees_own_devices(browser: Browser, device_ids: list[str]) -> None:
    """Wait until the gateway's projection shows this user every one of its devices."""
    async def probe() -> bool:
        resp = await browser.http.get("/api/v1/devices")
        shown = {d["id"] for d in resp.json()["items"]} if resp.is_success else set()
        return set(device_ids) <= shown
    await eventually(probe, timeout_s=120, interval_s=0.5,
                     what=f"{browser.account.username}'s devices projected")


async def _enroll(fleet: AppleFleet, batch: int = 25) -> None:
    """Device keys first, off the loop (RSA generation stalled it: hundreds of enrollments
    timed out at once), then a batch at a time; enroll_all retries what still failed."""
    await asyncio.to_thread(lambda: [device.identity() for device in fleet.devices])
    for i in range(0, len(fleet.devices), batch):
        await asyncio.gather(*(fleet.enroll(d) for d in fleet.devices[i:i + batch]),
                             return_exceptions=True)
    await enroll_all(fleet, timeout_s=300)


async def _all_answered(fleet: AppleFleet) -> bool:
    return all(device.received for device in fleet.devices)


def _progress(began: float, what: str) -> None:
    print(f"  setup: {what} after {time.monotonic() - began:.0f} s", flush=True)


@contextlib.asynccontextmanager
async def running_portal(bootstrap: str, mongo_url: str, *, users: int, per_user: int,
                         gateway_env: dict[str, str] | None = None) -> AsyncIterator[Portal]:
    demo = BenchOrg()
    device_port = free_port()
    # Fresh UDIDs every run: a UDID an earlier bench enrolled under another organisation is
    # refused by the registry (device.mismatch) when both runs share a broker.
    fleet = AppleFleet(f"http://127.0.0.1:{device_port}", iphones=users * per_user, macs=0)
    clients: list[httpx.AsyncClient] = []
    procs: dict[str, ServiceProcess] = {}

    def browser(account: Account) -> Browser:
        clients.append(httpx.AsyncClient(base_url=demo.url, timeout=30))
        return Browser(clients[-1], account)

    await fleet.start(enroll=False)
    try:
        async with Producer(bootstrap) as producer, Tail(bootstrap, DEVICES) as snapshots:
            # In a thread: the fleet's APNs answers on this loop meanwhile.
            began = time.monotonic()
            procs = await asyncio.to_thread(_start, demo, fleet, device_port, bootstrap,
                                            mongo_url, gateway_env or {})
            demo.url = procs["portal_gateway"].url
            await wait_until_caught_up(demo, bootstrap)
            _progress(began, "services ready")
            await _enroll(fleet)
            # Enrollment queues an inventory query (a refresh) per device: a bench refresh
            # while it is pending would be refused as a duplicate, and it is load besides.
            await eventually(lambda: _all_answered(fleet), timeout_s=300, interval_s=0.5,
                             what="every enrollment inventory query answered")
            _progress(began, f"{len(fleet.devices)} iPhones enrolled, inventories answered")
            admin = browser(Account(demo.user_id("admin"), demo.org, "admin", demo.password,
                                    []))
            assert (await admin.login()).status_code == 200
            accounts = await _create_users(demo, admin, users)
            devices = {a.username: [d.udid for d in fleet.devices[i::users]]
                       for i, a in enumerate(accounts)}
            demo.owners = {d: user for user, ids in devices.items() for d in ids}
            await link_devices(demo, producer, snapshots, timeout_s=300)
            _progress(began, f"{users} users created, devices linked")
            browsers = [browser(a) for a in accounts]
            for b in browsers:
                assert (await b.login()).status_code == 200
                await _sees_own_devices(b, devices[b.account.username])
            _progress(began, "logged in, devices projected")
            yield Portal(demo, fleet, procs, producer, browsers, devices)
    finally:
        for client in clients:
            await client.aclose()
        for proc in procs.values():
            proc.stop()
        await fleet.stop()
