"""Simulated Windows devices against a tiny OMA-DM server built on the dispatcher's session.py."""

from __future__ import annotations

import asyncio
import contextlib
import random
import socket
import time
from collections.abc import AsyncIterator

import httpx
import pytest
import uvicorn
from command_dispatcher.windows.errors import IdentityError
from command_dispatcher.windows.identity import WindowsTrust, client_certificate
from command_dispatcher.windows.session import (
    PendingCommand,
    SentCommand,
    Settled,
    reply,
    settle,
)
from command_dispatcher.windows.syncml import CONTENT_TYPE, parse_message
from ssp_contracts.enums import Action
from ssp_simulators.windows import SessionError, WindowsFleet, new_laptop, run_session
from ssp_simulators.windows.answers import Responder
from ssp_simulators.windows.device import DEFAULT_PROVIDER_ID
from ssp_simulators.windows.syncml import DeviceMessage, ServerCommand, ServerMessage
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route


class TinyServer:
    """Per device: a queue, the commands awaiting answers, and the outcomes so far."""

    def __init__(self, cert_header: str = "X-SSP-Client-Cert") -> None:
        self.cert_header = cert_header
        self.queues: dict[str, list[PendingCommand]] = {}
        self.awaiting: dict[str, list[SentCommand]] = {}
        self.outcomes: dict[str, Settled] = {}
        self.fingerprints: dict[str, str] = {}  # trust on first use, enough for a test
        self.dev_info: dict[str, dict[str, str]] = {}
        self.content_types: set[str] = set()

    def queue(self, device_id: str, *commands: tuple[str, Action]) -> None:
        self.queues.setdefault(device_id, []).extend(PendingCommand(c, a) for c, a in commands)

    async def omadm(self, request: Request) -> Response:
        self.content_types.add(request.headers.get("content-type", ""))
        try:
            fingerprint = client_certificate(request.headers.get(self.cert_header), None,
                                             WindowsTrust(any_peer=True)).fingerprint
        except IdentityError:
            return Response(status_code=401)
        message = parse_message(await request.body())
        device_id = message.header.source
        if self.fingerprints.setdefault(device_id, fingerprint) != fingerprint:
            return Response(status_code=401)
        if message.dev_info:
            self.dev_info[device_id] = message.dev_info
        awaiting = self.awaiting.setdefault(device_id, [])
        for settled in settle(message, awaiting):
            self.outcomes[settled.command_id] = settled
            awaiting[:] = [s for s in awaiting if s.command_id != settled.command_id]
        answer = reply(message, self.queues.pop(device_id, []), provider_id=DEFAULT_PROVIDER_ID)
        awaiting.extend(answer.sent)
        self.outcomes |= {refused.command_id: refused for refused in answer.refused}
        return Response(answer.body, media_type=CONTENT_TYPE)

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/mdm/windows/omadm", self.omadm, methods=["POST"])])


@contextlib.asynccontextmanager
async def serving(app: Starlette) -> AsyncIterator[str]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        deadline = time.monotonic() + 10
        while not server.started:
            assert time.monotonic() < deadline, "uvicorn did not start"
            await asyncio.sleep(0.01)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        await task
        sock.close()


@contextlib.asynccontextmanager
async def world(server: TinyServer) -> AsyncIterator[tuple[httpx.AsyncClient, str]]:
    async with serving(server.app()) as base, httpx.AsyncClient(timeout=10) as client:
        yield client, f"{base}/mdm/windows/omadm"


async def test_one_session_runs_locate_and_refresh() -> None:
    server, device = TinyServer(), new_laptop(random.Random(1))
    server.queue(device.device_id, ("c-refresh", Action.REFRESH), ("c-locate", Action.LOCATE))
    async with world(server) as (client, url):
        report = await run_session(device, client, url, rng=random.Random(2))
    assert report is not None
    assert (report.session_id, report.messages_sent, report.wiped) == ("1", 2, False)
    assert server.content_types == {CONTENT_TYPE}
    assert server.dev_info[device.device_id]["Mod"] == device.model
    assert server.awaiting[device.device_id] == []
    refresh = server.outcomes["c-refresh"].result
    assert refresh.inventory == {
        "name": device.device_name, "model": device.model, "os_version": device.os_version,
        "battery_level": device.battery_percent / 100, "serial_number": device.serial_number}
    location = server.outcomes["c-locate"].result.location
    assert location is not None
    assert (location.latitude, location.longitude) == pytest.approx(
        (device.latitude, device.longitude))
    assert server.fingerprints[device.device_id] == device.identity().fingerprint


async def test_wipe_resets_the_device_and_ends_its_sessions() -> None:
    server, device = TinyServer(), new_laptop(random.Random(3))
    server.queue(device.device_id, ("c-wipe", Action.WIPE))
    async with world(server) as (client, url):
        report = await run_session(device, client, url)
        assert report is not None and report.wiped
        assert await run_session(device, client, url) is None
    assert server.outcomes["c-wipe"].result.outcome == "acknowledged"
    assert (device.wiped, device.wipe_node) == (True, "doWipeProtected")


async def test_dmclient_unenroll_ends_management_but_keeps_the_device() -> None:
    server, device = TinyServer(), new_laptop(random.Random(5))
    server.queue(device.device_id, ("c-retire", Action.RETIRE))
    async with world(server) as (client, url):
        report = await run_session(device, client, url)
        assert report is not None and not report.wiped
        assert await run_session(device, client, url) is None  # no session after it
    assert server.outcomes["c-retire"].result.outcome == "acknowledged"
    assert device.unenrolled and device.unenrolled_by_server and not device.wiped
    assert [(e.verb, e.target, e.code) for e in device.history] == [
        ("Exec", f"./Vendor/MSFT/DMClient/Provider/{DEFAULT_PROVIDER_ID}/Unenroll", "200")]


async def test_unenroll_for_another_provider_is_not_found() -> None:
    server, device = TinyServer(), new_laptop(random.Random(6))
    device.provider_id = "other-mdm"
    server.queue(device.device_id, ("c-retire", Action.RETIRE))
    async with world(server) as (client, url):
        await run_session(device, client, url)
    assert server.outcomes["c-retire"].result.outcome == "failed"
    assert not device.unenrolled and device.history[0].code == "404"


async def test_failures_come_back_with_reasons() -> None:
    server, device = TinyServer(), new_laptop(random.Random(4))
    device.pin, device.location_enabled = None, False
    server.queue(device.device_id, ("c-pin", Action.RESET_PASSCODE), ("c-locate", Action.LOCATE),
                 ("c-lock", Action.LOCK))
    async with world(server) as (client, url):
        await run_session(device, client, url)
    pin, locate, lock = (server.outcomes[c].result for c in ("c-pin", "c-locate", "c-lock"))
    assert (pin.outcome, pin.platform_status) == ("failed", "unsupported.passcode_windows")
    assert (locate.outcome, locate.platform_status) == ("failed", "500")
    assert (lock.outcome, lock.platform_status) == ("failed", "unsupported.lock_windows")
    assert [h.verb for h in device.history if h.verb == "Exec"] == []  # neither was sent


async def test_idle_sessions_and_commands_queued_between_them() -> None:
    server, device = TinyServer(), new_laptop(random.Random(5))
    async with world(server) as (client, url):
        idle = await run_session(device, client, url)
        server.queue(device.device_id, ("c-refresh", Action.REFRESH))
        busy = await run_session(device, client, url)
    assert idle is not None and (idle.messages_sent, idle.commands_run) == (1, 0)
    assert busy is not None and (busy.session_id, busy.messages_sent) == ("2", 2)
    assert server.outcomes["c-refresh"].result.outcome == "acknowledged"


async def test_a_different_certificate_for_the_same_device_is_refused() -> None:
    server, device = TinyServer(), new_laptop(random.Random(6))
    async with world(server) as (client, url):
        await run_session(device, client, url)
        device.certificate = None  # a new key pair claiming the same DevId
        with pytest.raises(SessionError, match="401"):
            await run_session(device, client, url)


async def test_fleet_with_a_custom_certificate_header() -> None:
    server = TinyServer(cert_header="X-Forwarded-Client-Cert")
    async with serving(server.app()) as base:
        fleet = WindowsFleet(base, devices=2, seed=7, cert_header="X-Forwarded-Client-Cert")
        for device in fleet.devices:
            server.queue(device.device_id, (f"c-{device.device_id}", Action.REFRESH))
        async with httpx.AsyncClient(timeout=10) as client:
            reports = await fleet.run_sessions(client)
    assert all(report is not None and report.messages_sent == 2 for report in reports)
    assert len(server.outcomes) == 2
    assert {o.result.outcome for o in server.outcomes.values()} == {"acknowledged"}


async def test_unreachable_server_is_a_session_error() -> None:
    device = new_laptop(random.Random(8))
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{sock.getsockname()[1]}/mdm/windows/omadm"
        async with httpx.AsyncClient(timeout=5) as client:
            with pytest.raises(SessionError, match="cannot reach"):
                await run_session(device, client, url)


def test_a_get_directly_inside_an_atomic_is_refused_with_500() -> None:
    """OMA DM protocol support (learn.microsoft.com/windows/client-management/
    oma-dm-protocol-support), DM protocol commands: "Atomic: ... Nested Atomic and Get commands
    aren't allowed and will generate error code 500." The Atomic itself fails (507) and nothing
    inside it is read, so a server framing RemoteFind that way never locates the device."""
    device = new_laptop(random.Random(9))
    latitude = "./Vendor/MSFT/RemoteFind/Location/Latitude"
    bare = ServerCommand("Atomic", "1", (), (ServerCommand("Get", "2", (latitude,)),))
    wrapped = ServerCommand("Atomic", "3", (), (
        ServerCommand("Sequence", "4", (), (ServerCommand("Get", "5", (latitude,)),)),))
    out = DeviceMessage("1", 2, "https://mdm.example/omadm", device.device_id)
    Responder(device, "1", random.Random(1)).answer(ServerMessage("1", "1", (bare, wrapped)), out)
    answer = parse_message(out.finish())
    codes = {(s.cmd_ref, s.cmd): s.data for s in answer.statuses}
    assert codes[("1", "Atomic")] == "507" and codes[("2", "Get")] == "500"
    assert codes[("3", "Atomic")] == codes[("4", "Sequence")] == codes[("5", "Get")] == "200"
    assert [r.cmd_ref for r in answer.results] == ["5"]  # only the framed Get read a value
