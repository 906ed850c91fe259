"""The whole portal for the browser tests: the four services as real processes in demo mode,
a simulated Apple fleet and an Android Management API stand-in in this test process.

Everything lives in an org of its own (`web<random>`): the permission-service seeds its demo
users there (alice full access, bob read access, carol none, admin), so runs never see each
other's users or devices on a shared broker. Devices: seven supervised iPhones (two alice's,
one bob's, four linked to no one: one for the CSV import, one for the sspctl examples, one the
activity test links and locks, one that the retire test links to a user of its own and removes
from management) and one fully managed Android phone (alice's).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable

from ssp_contracts.topics import DEVICES
from ssp_devstack.processes import ServiceProcess, free_port
from ssp_simulators.apple.fleet import AppleFleet

from tests.browser.demo_org import DemoOrg
from tests.browser.device_links import link_devices
from tests.browser.projection_catch_up import wait_until_accounts_known, wait_until_caught_up
from tests.support.android import AmapiStandIn, amapi_stand_in
from tests.support.kafka import Producer, Tail

StartService = Callable[..., ServiceProcess]
# The location map's tiles: nothing listens there, so no test reaches a real tile server;
# a test that wants tiles answers them in the browser (test_location_map.py).
MAP_TILES = "http://127.0.0.1:9/tiles/{z}/{x}/{y}.png"


def demo_env(demo: DemoOrg) -> dict[str, str]:
    """What every service shares: demo mode, this run's org, the demo users' password."""
    return {"SSP_DEMO_MODE": "true", "SSP_DEFAULT_ORG": demo.org,
            "SSP_DEFAULT_ORG_ID": demo.org, "SSP_DEMO_PASSWORD": demo.password,
            "SSP_ANDROID_ORG": demo.org}


def start_services(start: StartService, demo: DemoOrg, fleet: AppleFleet,
                    amapi: AmapiStandIn, device_port: int) -> ServiceProcess:
    """All four at once; then each one's readiness. Returns the gateway."""
    env = demo_env(demo)
    # A device's "last contact" is reported at most once a second (a minute by default), so
    # a test sees it move with the command it just ran.
    dispatcher = {**amapi.dispatcher_env(), **env, "SSP_DEVICE_HTTP_PORT": str(device_port),
                  "SSP_APNS_BASE_URL": fleet.apns_url, "SSP_CONTACT_REPORT_S": "1"}
    # Its projections start at the topics' end: replaying a long-lived test broker's history
    # can cost minutes; projection_catch_up.py makes sure nothing of this run is missed.
    # The package signs in as its few demo users far more often than a person would: the
    # per-username login limit (tests/gateway/test_rate_limits.py) is raised for it.
    gateway = {**env, "SSP_CONSUMER_GROUP_PREFIX": f"portal-gateway-{demo.org}",
               "SSP_PROJECTIONS_FROM_BEGINNING": "false", "SSP_SSE_HEARTBEAT_S": "5",
               "SSP_LOGIN_LIMIT": "200", "SSP_MAP_TILE_URL": MAP_TILES}
    procs = [start("permission_service", wait=False, **env),
             start("device_registry", wait=False, **env),
             start("command_dispatcher", wait=False, **dispatcher),
             start("portal_gateway", wait=False, **gateway)]
    for proc in procs:
        proc.wait_ready(90)
    return procs[-1]


async def enroll_all(fleet: AppleFleet, timeout_s: float = 30) -> None:
    deadline = time.monotonic() + timeout_s
    while await fleet.enroll_pending():
        assert time.monotonic() < deadline, "the iPhones could not enroll"
        await asyncio.sleep(0.5)


@contextlib.asynccontextmanager
async def running_portal(start: StartService, bootstrap: str) -> AsyncIterator[DemoOrg]:
    demo = DemoOrg()
    device_port = free_port()
    fleet = AppleFleet(f"http://127.0.0.1:{device_port}", iphones=7, macs=0)
    async with amapi_stand_in(1, delay_s=0.3) as amapi, Tail(bootstrap, DEVICES) as devices, \
            Producer(bootstrap) as producer:
        await fleet.start(enroll=False)
        try:
            # In a thread: the fleet's APNs and the AMAPI stand-in answer on this loop meanwhile.
            gateway = await asyncio.to_thread(start_services, start, demo, fleet, amapi,
                                              device_port)
            demo.url = gateway.url
            await wait_until_caught_up(demo, bootstrap)
            await enroll_all(fleet)
            demo.iphones = list(fleet.devices)
            [demo.android] = amapi.state.devices.values()
            demo.owners = {demo.iphones[0].udid: "alice", demo.iphones[1].udid: "alice",
                            demo.iphones[2].udid: "bob", demo.android_id: "alice"}
            await link_devices(demo, producer, devices)
            await wait_until_accounts_known(demo, set(demo.owners.values()))
            yield demo
        finally:
            await fleet.stop()
