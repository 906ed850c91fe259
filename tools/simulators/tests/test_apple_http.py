"""The simulator over real HTTP: an in-test MDM server (uvicorn) and the fleet's stand-in APNs.

The server here is deliberately tiny; it verifies every body with the dispatcher's identity.py,
pins the certificate seen at Authenticate, and keeps one queue per device.
"""

import asyncio
import socket
from collections import defaultdict
from collections.abc import AsyncIterator, Callable

import pytest
import uvicorn
from command_dispatcher.apple.checkin import Authenticate, CheckOut, TokenUpdate, parse_checkin
from command_dispatcher.apple.commands import build_command
from command_dispatcher.apple.errors import IdentityError
from command_dispatcher.apple.identity import IdentitySettings, fingerprint, identify
from command_dispatcher.apple.push import ApnsClient, ApnsSettings, PushResult, PushTarget
from command_dispatcher.apple.results import Report, ReportStatus, parse_report, to_command_result
from ssp_contracts.commands import CommandParams
from ssp_contracts.enums import Action, Platform
from ssp_simulators.apple import AppleFleet, Behaviour, SimulatedDevice
from ssp_simulators.apple.signing import DeviceCertificate
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

PARAMS = CommandParams(message="Lost", pin="123456")


class StandInMdmServer:
    def __init__(self) -> None:
        self.pins: dict[str, str] = {}
        self.tokens: dict[str, TokenUpdate] = {}
        self.checkins: list[tuple[str, str]] = []
        self.queues: dict[str, list[tuple[str, bytes]]] = defaultdict(list)
        self.declined: dict[str, set[str]] = defaultdict(set)  # NotNow'd in the current session
        self.reports: list[Report] = []
        self.refused: list[str] = []
        self.app = Starlette(
            routes=[
                Route("/mdm/apple/checkin", self.checkin, methods=["PUT"]),
                Route("/mdm/apple/connect", self.connect, methods=["PUT"]),
            ]
        )

    def _identity_fingerprint(self, request: Request, body: bytes) -> str | None:
        try:
            return identify(request.headers, body, IdentitySettings()).fingerprint
        except IdentityError as exc:
            self.refused.append(exc.code)
            return None

    async def checkin(self, request: Request) -> Response:
        body = await request.body()
        assert request.headers["content-type"] == "application/x-apple-aspen-mdm-checkin"
        seen = self._identity_fingerprint(request, body)
        message = parse_checkin(body)
        udid = message.device_identifier
        if isinstance(message, Authenticate) and seen:
            self.pins[udid] = seen  # a (re-)enrollment pins the new identity
        if seen is None or self.pins.get(udid) != seen:
            return Response(status_code=401)
        self.checkins.append((udid, message.message_type))
        if isinstance(message, TokenUpdate):
            self.tokens[udid] = message
        if isinstance(message, CheckOut):
            self.tokens.pop(udid, None)
        return Response(status_code=200)

    async def connect(self, request: Request) -> Response:
        body = await request.body()
        assert request.headers["content-type"] == "application/x-apple-aspen-mdm"
        report = parse_report(body)
        udid = report.device_identifier
        seen = self._identity_fingerprint(request, body)
        if seen is None or self.pins.get(udid) != seen:
            self.refused.append("pin_mismatch")
            return Response(status_code=401)
        self.reports.append(report)
        queue = self.queues[udid]
        if report.status is ReportStatus.IDLE:
            self.declined[udid].clear()
        elif report.status is ReportStatus.NOT_NOW:
            self.declined[udid].add(report.command_uuid or "")
        else:
            queue[:] = [(uuid, plist) for uuid, plist in queue if uuid != report.command_uuid]
        for uuid, plist in queue:
            if uuid not in self.declined[udid]:
                return Response(plist, media_type="application/xml")
        return Response(status_code=200)

    def enqueue(
        self, device: SimulatedDevice, uuid: str, action: Action, params: CommandParams = PARAMS
    ) -> None:
        token = self.tokens[device.udid]
        plist = build_command(uuid, action, params, Platform(device.platform), token.unlock_token)
        self.queues[device.udid].append((uuid, plist))

    def report_for(self, uuid: str) -> Report | None:
        final = [
            r
            for r in self.reports
            if r.command_uuid == uuid and r.status is not ReportStatus.NOT_NOW
        ]
        return final[-1] if final else None


async def _eventually(condition: Callable[[], object], timeout_s: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout_s
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "condition not met in time"
        await asyncio.sleep(0.02)


@pytest.fixture
async def server() -> AsyncIterator[tuple[str, StandInMdmServer]]:
    state = StandInMdmServer()
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    uv = uvicorn.Server(uvicorn.Config(state.app, log_level="warning", lifespan="off"))
    task = asyncio.create_task(uv.serve(sockets=[sock]))
    await _eventually(lambda: uv.started)
    yield f"http://127.0.0.1:{sock.getsockname()[1]}", state
    uv.should_exit = True
    await task


@pytest.fixture
async def fleet(server: tuple[str, StandInMdmServer]) -> AsyncIterator[AppleFleet]:
    fleet = AppleFleet(server[0], iphones=1, unsupervised_iphones=1, macs=1, seed=11)
    await fleet.start()
    yield fleet
    await fleet.stop()


async def _push(fleet: AppleFleet, state: StandInMdmServer, device: SimulatedDevice) -> PushResult:
    token = state.tokens[device.udid]
    async with ApnsClient(ApnsSettings(base_url=fleet.apns_url)) as apns:
        return await apns.push(PushTarget(token.token, token.push_magic, token.topic))


async def test_enrollment_is_signed_and_pinned(server, fleet: AppleFleet) -> None:
    _, state = server
    assert not state.refused
    for device in fleet.devices:
        assert (device.udid, "Authenticate") in state.checkins
        assert (device.udid, "TokenUpdate") in state.checkins
        assert state.pins[device.udid] == fingerprint(device.identity().certificate)
        token = state.tokens[device.udid]
        assert (token.token, token.push_magic) == (device.push_token, device.push_magic)
        assert (token.unlock_token is not None) == (device.platform == "ios")


async def test_a_push_makes_the_device_fetch_and_answer(server, fleet: AppleFleet) -> None:
    _, state = server
    iphone = fleet.devices[0]
    state.enqueue(iphone, "lost-1", Action.ENABLE_LOST_MODE)
    result = await _push(fleet, state, iphone)
    assert result.ok, result
    await _eventually(lambda: state.report_for("lost-1") is not None)
    assert state.report_for("lost-1").status is ReportStatus.ACKNOWLEDGED
    assert iphone.state.lost_mode
    assert fleet.apns.received[-1].http_version == "2"  # the dispatcher's client spoke h2c

    state.enqueue(iphone, "where-1", Action.LOCATE)
    state.enqueue(iphone, "info-1", Action.REFRESH)
    assert (await _push(fleet, state, iphone)).ok
    await _eventually(lambda: state.report_for("info-1") is not None)
    location = to_command_result(state.report_for("where-1")).location
    assert location is not None and location.latitude == iphone.latitude
    inventory = to_command_result(state.report_for("info-1")).inventory
    assert inventory["serial_number"] == iphone.serial_number and inventory["lost_mode"] is True
    assert iphone.executed_twice() == set()


async def test_errors_travel_back(server, fleet: AppleFleet) -> None:
    _, state = server
    unsupervised, mac = fleet.devices[1], fleet.devices[2]
    state.enqueue(unsupervised, "where-2", Action.LOCATE)
    state.enqueue(mac, "lock-2", Action.LOCK)
    assert (await _push(fleet, state, unsupervised)).ok
    assert (await _push(fleet, state, mac)).ok
    await _eventually(lambda: state.report_for("where-2") and state.report_for("lock-2"))
    assert state.report_for("where-2").errors[0].code == "12021"
    assert to_command_result(state.report_for("lock-2")).platform_status == "Success"


async def test_wipe_then_the_token_is_dead_until_reenrollment(server, fleet: AppleFleet) -> None:
    _, state = server
    iphone = fleet.devices[0]
    old_pin = state.pins[iphone.udid]
    state.enqueue(iphone, "wipe-1", Action.WIPE)
    assert (await _push(fleet, state, iphone)).ok
    await _eventually(lambda: iphone.wipe_count == 1)
    assert state.report_for("wipe-1").status is ReportStatus.ACKNOWLEDGED
    gone = await _push(fleet, state, iphone)
    assert gone.permanent and gone.status == 410
    await fleet.enroll(iphone)
    assert state.pins[iphone.udid] != old_pin  # a wiped device enrolls with a new identity
    assert (await _push(fleet, state, iphone)).ok


async def test_not_now_is_retried_and_each_command_runs_once(server) -> None:
    url, state = server
    behaviour = Behaviour(not_now_probability=0.5, not_now_retry_s=0.05, latency_s=(0.0, 0.01))
    async with AppleFleet(url, iphones=1, macs=0, seed=5, behaviour=behaviour) as fleet:
        iphone = fleet.devices[0]
        uuids = [f"lock-{i}" for i in range(6)]
        for uuid in uuids:
            state.enqueue(iphone, uuid, Action.LOCK)
        assert (await _push(fleet, state, iphone)).ok
        await _eventually(lambda: all(state.report_for(u) for u in uuids))
        assert any(r.status is ReportStatus.NOT_NOW for r in state.reports)
        assert iphone.executed_twice() == set()
        assert iphone.state.lock_count == len(uuids)


async def test_unenroll_checks_out(server, fleet: AppleFleet) -> None:
    _, state = server
    mac = fleet.devices[2]
    target = state.tokens[mac.udid]
    await fleet.unenroll(mac)
    assert (mac.udid, "CheckOut") in state.checkins
    async with ApnsClient(ApnsSettings(base_url=fleet.apns_url)) as apns:
        result = await apns.push(PushTarget(target.token, target.push_magic, target.topic))
    assert result.status == 410


async def test_a_device_with_another_identity_is_refused(server, fleet: AppleFleet) -> None:
    _, state = server
    iphone = fleet.devices[0]
    iphone.certificate = DeviceCertificate.create(iphone.udid)  # not the pinned one
    await fleet.connect(iphone)
    assert "pin_mismatch" in state.refused
    assert fleet.session(iphone).http_errors[-1] == "connect: HTTP 401"


async def test_wrong_push_magic_is_accepted_by_apns_but_ignored(server, fleet: AppleFleet) -> None:
    _, state = server
    iphone = fleet.devices[0]
    before = len(state.reports)
    token = state.tokens[iphone.udid]
    async with ApnsClient(ApnsSettings(base_url=fleet.apns_url)) as apns:
        result = await apns.push(PushTarget(token.token, "WRONG", token.topic))
        bad_topic = await apns.push(
            PushTarget(token.token, token.push_magic, "com.apple.mgmt.other")
        )
    assert result.ok and bad_topic.permanent
    await asyncio.sleep(0.2)
    assert len(state.reports) == before
