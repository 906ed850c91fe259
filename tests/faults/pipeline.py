"""The command pipeline as real processes, with simulated Apple, Android and Windows devices,
and the faults the scenarios inflict on it.

Processes: the permission-service (the authorizer), the device-registry and one
command-dispatcher per platform family (`--platform`), in a demo org of their own; with
`gateway=True` also the portal-gateway. Commands are requested on `ssp.commands.requested`, as
an integration does (docs/events.md); with the gateway, every fourth one is asked for over HTTP
as alice, and what the portal shows is checked against the terminal statuses.

Devices: supervised iPhones (an APNs stand-in and their HTTP sessions in this test process), an
Android Management API stand-in, Windows laptops polling over OMA-DM; every device is linked to
the demo user alice (full access), who requests every command.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
from ssp_contracts.audit import ServiceHeartbeat
from ssp_contracts.commands import CommandRequested
from ssp_contracts.enums import Action
from ssp_contracts.topics import COMMANDS_REQUESTED, COMMANDS_STATUS, DEVICES, HEARTBEATS
from ssp_devstack.processes import ServiceProcess, free_port
from ssp_devstack.stack import DevstackError, Stack, StackConfig
from ssp_simulators.apple.fleet import AppleFleet
from ssp_simulators.apple.session import Behaviour
from ssp_simulators.windows import WindowsFleet

from tests.browser.demo_org import DemoOrg
from tests.browser.device_links import link_devices
from tests.browser.portal_stack import demo_env, enroll_all
from tests.browser.projection_catch_up import wait_until_caught_up
from tests.conftest import database_name
from tests.faults.oracle import Execution, Oracle, bodies, same_ms
from tests.support.android import AmapiStandIn, amapi_stand_in, android_id
from tests.support.kafka import Producer, Tail
from tests.support.windows import windows_id

StartService = Callable[..., ServiceProcess]
DISPATCHERS = ("apple", "android", "windows")
# What each family's devices are asked to do: one command with side effects where the platform
# has one in its capability matrix for these devices, and one that reports back.
ACTIONS = {"apple": (Action.LOCK, Action.REFRESH), "android": (Action.LOCK, Action.REFRESH),
           "windows": (Action.LOCATE, Action.REFRESH)}
SERVICE_FAULTS = ("permission_service", "device_registry",
                  *(f"command_dispatcher:{family}" for family in DISPATCHERS))
GATEWAY_FAULT = "portal_gateway"
STACK_FAULTS = ("kafka", "ferretdb")
HTTP_EVERY = 4  # with the gateway: every fourth command is asked for over HTTP
# What the gateway may answer a command request under these faults without anything being
# wrong: the same action still pending on the device, or the broker not reachable (nothing done).
HTTP_REFUSALS = frozenset({"409 command.pending", "503 broker.unavailable"})


@dataclass
class Pipeline:
    demo: DemoOrg
    procs: dict[str, ServiceProcess]
    apple: AppleFleet
    amapi: AmapiStandIn
    windows: WindowsFleet
    producer: Producer
    oracle: Oracle
    run_id: str
    targets: list[tuple[str, str]]  # (device id, family), in the order commands go round
    portal: httpx.AsyncClient | None = None  # alice's session on the gateway, when it runs
    sent: int = 0
    recoveries: dict[str, float] = dataclasses.field(default_factory=dict)  # fault -> seconds
    http_answers: Counter[str] = dataclasses.field(default_factory=Counter)  # "202", "409 code"

    async def request(self, count: int) -> None:
        """`count` commands, round the devices, alternating each family's actions."""
        for _ in range(count):
            device_id, family = self.targets[self.sent % len(self.targets)]
            actions = ACTIONS[family]
            action = actions[(self.sent // len(self.targets)) % len(actions)]
            if self.portal is not None and self.sent % HTTP_EVERY == 0:
                await self._request_over_http(device_id, action)
                self.sent += 1
                continue
            command = CommandRequested(
                org_id=self.demo.org, command_id=f"cmd-{uuid.uuid4()}", device_id=device_id,
                action=action, requested_by=self.demo.user_id("alice"),
                requested_at=datetime.now(UTC), source="faults")
            await self.producer.send_event(COMMANDS_REQUESTED, command)
            self.oracle.accept(command.command_id, device_id, action)  # on Kafka: accepted
            self.sent += 1

    async def _request_over_http(self, device_id: str, action: Action) -> None:
        """As alice on the portal; a 202 is an accepted command, like a record on Kafka."""
        assert self.portal is not None
        resp = await self.portal.post(f"/api/v1/devices/{device_id}/commands",
                                      json={"action": action.value, "params": {}},
                                      headers={"Idempotency-Key": str(uuid.uuid4())})
        if resp.status_code == 202:
            self.http_answers["202"] += 1
            self.oracle.accept(resp.json()["command_id"], device_id, action)
        else:
            self.http_answers[f"{resp.status_code} {_code(resp)}"] += 1

    def http_problems(self) -> list[str]:
        """Answers of the gateway other than 202 and the refusals these faults may cause."""
        return [f"the gateway answered {n} command request(s) with {answer}"
                for answer, n in self.http_answers.items()
                if answer != "202" and answer not in HTTP_REFUSALS]

    async def portal_problems(self, timeout_s: float = 60) -> list[str]:
        """What the portal shows alice differs from the run's outcome: a command's status
        (first terminal status on the topic) or a device's last contact and location (latest
        snapshot). Empty without the gateway."""
        if self.portal is None:
            return []
        portal = self.portal
        expected = {cid: found[0]["status"] for cid, found in self.oracle.finals().items()}
        snapshots = self.oracle.latest_snapshots()
        # A few requests at a time: hundreds at once wait in the client's connection pool
        # past its timeout on a loaded machine.
        in_flight = asyncio.Semaphore(16)

        async def get(path: str) -> httpx.Response:
            async with in_flight:
                return await portal.get(path)

        async def command_differs(cid: str) -> str | None:
            resp = await get(f"/api/v1/commands/{cid}")
            shown = resp.json().get("status") if resp.status_code == 200 else resp.status_code
            return None if shown == expected[cid] else (
                f"the portal shows {cid} as {shown}, the topic says {expected[cid]}")

        async def device_differs(device_id: str) -> str | None:
            resp = await get(f"/api/v1/devices/{device_id}")
            if resp.status_code != 200:
                return f"the portal answers {resp.status_code} for alice's {device_id}"
            shown, snap = resp.json(), snapshots[device_id]
            for field, inner in (("last_contact_at", None), ("last_location", "at")):
                a, b = shown.get(field), snap.get(field)
                a, b = (a or {}).get(inner) if inner else a, (b or {}).get(inner) if inner else b
                if not same_ms(a, b):
                    return f"the portal shows {device_id} {field} {a}, the snapshot {b}"
            return None

        # The run has settled: what the portal shows now can only move towards the outcome.
        # So only what still differs is asked again; asking for every command each round (a
        # thousand requests a second, each reading the gateway's database) starved the very
        # projection the test waits for.
        deadline = time.monotonic() + timeout_s
        commands, devices = list(expected), list(snapshots)
        while True:
            differing_commands = [cid for cid, p in zip(
                commands, await asyncio.gather(*map(command_differs, commands)), strict=True)
                if p]
            differing_devices = [d for d, p in zip(
                devices, await asyncio.gather(*map(device_differs, devices)), strict=True) if p]
            commands, devices = differing_commands, differing_devices
            # Devices keep checking in (Windows on a schedule), so a device is compared with
            # its newest snapshot, not the one of the first round.
            await self.oracle.snapshots.poll(0.3)
            snapshots = self.oracle.latest_snapshots()
            if not (commands or devices) or time.monotonic() > deadline:
                found = [p for p in await asyncio.gather(*map(command_differs, commands),
                                                         *map(device_differs, devices)) if p]
                return [*found, await self._projection_lag()] if found else []
            await asyncio.sleep(1.0)

    async def _projection_lag(self) -> str:
        """The gateway's own account of its projections (ssp_consumer_lag): whether what
        the portal shows is behind (lag) or lost (no lag)."""
        assert self.portal is not None
        resp = await self.portal.get("/metrics")
        lines = [line for line in resp.text.splitlines() if line.startswith("ssp_consumer_lag{")
                 and "live." not in line and float(line.rsplit(" ", 1)[1]) > 0]
        return "the gateway's consumer lag: " + ("; ".join(lines) or "none")

    async def inflict(self, fault: str, *, down_s: float = 1.0) -> None:
        """SIGKILL a service and start it again, or stop a stack component and start it; how
        long until it was back (ready) goes to `recoveries`."""
        began = time.monotonic()
        if fault in STACK_FAULTS:
            stack = local_stack()
            assert stack is not None, "the stack is external: cannot stop its components"
            await asyncio.to_thread(stack.stop, fault)
            await asyncio.sleep(down_s)
            await _start_again(stack, fault)
        else:
            proc = self.procs[fault]
            proc.kill()
            await asyncio.sleep(down_s)
            await asyncio.to_thread(proc.start, True, 120)
        self.recoveries[fault] = round(time.monotonic() - began, 1)

    def executions(self) -> list[Execution]:
        """What the devices carried out: Apple by CommandUUID, Android by AMAPI operation."""
        out = [Execution(d.udid, self.oracle.accepted[r.command_uuid].action, r.command_uuid)
               for d in self.apple.devices for r in d.received
               if r.executed and r.command_uuid in self.oracle.accepted]
        for name, effects in self.amapi.state.effects.items():
            out += [Execution(android_id(name), Action(e.command_type.lower()))
                    for e in effects if e.outcome == "SUCCESS" and e.command_type == "LOCK"]
        return out

    def database(self, module: str) -> str:
        return database_name(self.run_id, module)

    async def verdict(self, mongo, *, timeout_s: float, tolerated_repeats: int = 0,  # type: ignore[no-untyped-def]
                      ) -> list[str]:
        """Every problem the oracle finds once the run has settled (empty: clean run)."""
        await self.oracle.wait_terminal(timeout_s)
        problems = self.oracle.terminal_problems()
        problems += self.oracle.execution_problems(self.executions(), tolerated_repeats)
        problems += await self.oracle.wait_snapshots(60)
        problems += await self.oracle.projection_problems(
            mongo, self.database("device_registry"), self.database("permission_service"))
        problems += self.http_problems() + await self.portal_problems()
        return problems + await self.silent_processes()

    async def silent_processes(self, timeout_s: float = 30) -> list[str]:
        """Every process still publishes: a heartbeat from each one, after all the faults."""
        wanted = Counter(proc.module.replace("_", "-") for proc in self.procs.values())
        async with Tail(self.producer.bootstrap, HEARTBEATS) as beats:
            deadline = time.monotonic() + timeout_s
            while time.monotonic() < deadline:
                await beats.poll(0.5)
                beating = {(b["service"], b["instance_id"])
                           for b in bodies(beats, ServiceHeartbeat.event_type)}
                seen = Counter(service for service, _ in beating)
                if not wanted - seen:
                    return []
        return [f"no heartbeat within {timeout_s}s from {n} {service} process(es)"
                for service, n in (wanted - seen).items()]


async def _start_again(stack: Stack, component: str, attempts: int = 10) -> None:
    """Ports in Linux's ephemeral range (32768-60999) can be taken while a component is down:
    by another program's outgoing connection, or by a client reconnecting to that very port
    that connects to itself (TCP self-connect), which holds it until the client gives up. Try
    again for a while; a stack on ports below 32768 (make test's defaults for Kafka) avoids it."""
    for attempt in range(attempts):
        try:
            await asyncio.to_thread(stack.start, component)
            return
        except DevstackError:
            if attempt == attempts - 1:
                raise
            await asyncio.sleep(3)


def local_stack() -> Stack | None:
    """The devstack this test session runs on, when it was started on this machine."""
    stack = Stack(dataclasses.replace(StackConfig.from_env(), external_kafka=None,
                                      external_mongo=None))
    running = all(stack.pid(c) for c in STACK_FAULTS)
    return stack if running else None


def _start_services(start: StartService, demo: DemoOrg, apple: AppleFleet, amapi: AmapiStandIn,
                    ports: dict[str, int], dispatcher_env: dict[str, str], gateway: bool,
                    ) -> dict[str, ServiceProcess]:
    env = demo_env(demo)
    family_env = {
        "apple": {"SSP_APNS_BASE_URL": apple.apns_url, "SSP_APPLE_REPUSH_S": "5"},
        "android": amapi.dispatcher_env(),
        "windows": {},
    }
    # Rate limits far above a fault run's hundreds of commands per device, at the authority
    # (which enforces them on the commands sent on Kafka too) and at the gateway alike.
    limits = {"SSP_USER_COMMAND_LIMIT": "100000", "SSP_DEVICE_COMMAND_LIMIT": "100000"}
    procs = {"permission_service": start("permission_service", wait=False, **env, **limits),
             "device_registry": start("device_registry", wait=False, **env)}
    for family in DISPATCHERS:
        procs[f"command_dispatcher:{family}"] = start(
            "command_dispatcher", wait=False, args=["--platform", family],
            **{**env, **family_env[family], **dispatcher_env,
               "SSP_DEVICE_HTTP_PORT": str(ports[family])})
    if gateway:  # its own consumer groups for this org; projections start at the topics' end
        procs[GATEWAY_FAULT] = start(
            "portal_gateway", wait=False, SSP_CONSUMER_GROUP_PREFIX=f"portal-gateway-{demo.org}",
            SSP_PROJECTIONS_FROM_BEGINNING="false", **limits, **env)
    for proc in procs.values():
        proc.wait_ready(120)
    return procs


@contextlib.asynccontextmanager
async def running_pipeline(start: StartService, bootstrap: str, run_id: str, *, iphones: int = 3,
                           androids: int = 3, laptops: int = 3,
                           behaviour: Behaviour | None = None, gateway: bool = False,
                           **dispatcher_env: str) -> AsyncIterator[Pipeline]:
    demo = DemoOrg()
    ports = {family: free_port() for family in DISPATCHERS}
    apple = AppleFleet(f"http://127.0.0.1:{ports['apple']}", iphones=iphones, macs=0,
                       behaviour=behaviour)
    windows = WindowsFleet(f"http://127.0.0.1:{ports['windows']}", devices=laptops)
    async with amapi_stand_in(androids, delay_s=0.3) as amapi, Producer(bootstrap) as producer, \
            Tail(bootstrap, COMMANDS_STATUS) as statuses, Tail(bootstrap, DEVICES) as snapshots:
        await apple.start(enroll=False)
        polling = asyncio.create_task(windows.poll(1.0))
        try:
            # In a thread: the APNs and AMAPI stand-ins answer on this loop meanwhile.
            procs = await asyncio.to_thread(_start_services, start, demo, apple, amapi, ports,
                                            dispatcher_env, gateway)
            if gateway:
                demo.url = procs[GATEWAY_FAULT].url
                await wait_until_caught_up(demo, bootstrap)
            await enroll_all(apple)
            targets = [(d.udid, "apple") for d in apple.devices]
            targets += [(android_id(name), "android") for name in amapi.state.devices]
            targets += [(windows_id(d), "windows") for d in windows.devices]
            demo.owners = {device_id: "alice" for device_id, _ in targets}
            await link_devices(demo, producer, snapshots)
            async with contextlib.AsyncExitStack() as exits:
                portal = None
                if gateway:
                    portal = await exits.enter_async_context(demo.api_session("alice"))
                    await portal_lists(portal, {d for d, _ in targets})
                yield Pipeline(demo, procs, apple, amapi, windows, producer,
                               Oracle(statuses, snapshots), run_id, targets, portal)
        finally:
            polling.cancel()
            await asyncio.gather(polling, return_exceptions=True)
            await apple.stop()


def _code(resp: httpx.Response) -> str:
    try:
        return str(resp.json().get("code", ""))
    except ValueError:
        return ""


async def portal_lists(client: httpx.AsyncClient, device_ids: set[str],
                       timeout_s: float = 60) -> None:
    """Waits until the portal lists every one of these devices to the signed-in user."""
    deadline = time.monotonic() + timeout_s

    async def listed() -> set[str]:
        return {d["id"] for d in (await client.get("/api/v1/devices")).json()["items"]}

    while not device_ids <= await listed():
        assert time.monotonic() < deadline, "the portal never listed the user's devices"
        await asyncio.sleep(0.5)
