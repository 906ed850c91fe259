"""The AMAPI client against the AMAPI simulator over real HTTP (uvicorn on a free port)."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
import uvicorn
from command_dispatcher.android.auth import ServiceAccountAuth, StaticToken
from command_dispatcher.android.client import AmapiClient
from command_dispatcher.android.commands import build_command
from command_dispatcher.android.errors import (
    AmapiPermanentError,
    AmapiTransientError,
    InvalidParameters,
)
from command_dispatcher.android.operations import interpret_operation
from command_dispatcher.android.quota import TokenBucket
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from ssp_contracts.commands import CommandParams
from ssp_contracts.enums import Action, ManagementMode
from ssp_simulators.android import AmapiState, create_app
from ssp_simulators.android.devices import DeviceKind
from ssp_simulators.android.fleet import DEFAULT_ENTERPRISE, populated_state
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Mount, Route

TOKEN = "test-token"


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
async def simulator(state: AmapiState, **app_options) -> AsyncIterator[AmapiClient]:
    async with serving(create_app(state, token=TOKEN, **app_options)) as url:
        async with AmapiClient(StaticToken(TOKEN), base_url=f"{url}/v1") as client:
            yield client


def _name(state: AmapiState, kind: DeviceKind) -> str:
    return next(d.name for d in state.devices.values() if d.kind is kind)


async def _run(client: AmapiClient, device: str, body: dict) -> dict:
    operation = await client.issue_command(device, body)
    deadline = time.monotonic() + 5
    while not operation.get("done"):
        assert time.monotonic() < deadline, "operation never finished"
        await asyncio.sleep(0.02)
        operation = await client.get_operation(operation["name"])
    return operation


async def test_lost_mode_round_trip_on_a_fully_managed_device() -> None:
    state = populated_state(3, seed=7, completion_delay_s=0.05)
    device = _name(state, DeviceKind.FULLY_MANAGED)
    mode = ManagementMode.ANDROID_FULLY_MANAGED
    async with simulator(state) as client:
        start = build_command(Action.ENABLE_LOST_MODE, CommandParams(message="Call me"), mode)
        assert start is not None
        operation = await client.issue_command(device, start.body)
        assert operation["done"] is False
        assert operation["name"].startswith(f"{device}/operations/")
        assert operation["metadata"]["@type"].endswith("devicemanagement.v1.Command")
        assert interpret_operation(operation).done is False
        done = await _run(client, device, start.body)  # a second start on the same device
        first = interpret_operation(await client.get_operation(operation["name"]))
        assert (first.outcome, first.lost_mode) == ("acknowledged", True)
        again = interpret_operation(done)
        assert (again.outcome, again.platform_status) == ("failed", "ALREADY_IN_LOST_MODE")
        assert (await client.get_device(device))["appliedState"] == "LOST"
        stop = build_command(Action.DISABLE_LOST_MODE, CommandParams(), mode)
        assert stop is not None
        stopped = interpret_operation(await _run(client, device, stop.body))
        assert (stopped.outcome, stopped.lost_mode) == ("acknowledged", False)
        not_lost = interpret_operation(await _run(client, device, stop.body))
        assert not_lost.platform_status == "NOT_IN_LOST_MODE"
    outcomes = [(e.command_type, e.outcome) for e in state.effects[device]]
    assert outcomes == [("START_LOST_MODE", "SUCCESS"), ("START_LOST_MODE", "ALREADY_IN_LOST_MODE"),
                        ("STOP_LOST_MODE", "SUCCESS"), ("STOP_LOST_MODE", "NOT_IN_LOST_MODE")]


async def test_reset_password_reaches_the_device() -> None:
    state = populated_state(3, seed=8)
    device = _name(state, DeviceKind.WORK_PROFILE_COMPANY)
    command = build_command(Action.RESET_PASSCODE, CommandParams(),
                            ManagementMode.ANDROID_WORK_PROFILE_COMPANY)
    assert command is not None
    async with simulator(state) as client:
        operation = await _run(client, device, command.body)
    assert interpret_operation(operation).outcome == "acknowledged"
    assert "newPassword" not in operation["metadata"]
    assert state.devices[device].password == command.secret


async def test_personal_work_profile_refuses_lost_mode_with_management_mode() -> None:
    state = populated_state(3, seed=9)
    device = _name(state, DeviceKind.WORK_PROFILE_PERSONAL)
    async with simulator(state) as client:
        body = {"type": "START_LOST_MODE",
                "startLostModeParams": {"lostMessage": {"defaultMessage": "hi"}}}
        outcome = interpret_operation(await _run(client, device, body))
    assert (outcome.outcome, outcome.platform_status) == ("failed", "MANAGEMENT_MODE")


async def test_recent_password_reset_blocks_lost_mode() -> None:
    state = populated_state(1, seed=10, lost_mode_cooldown=timedelta(hours=12))
    device = _name(state, DeviceKind.FULLY_MANAGED)
    async with simulator(state) as client:
        await _run(client, device, {"type": "RESET_PASSWORD", "newPassword": "824613"})
        body = {"startLostModeParams": {"lostPhoneNumber": {"defaultMessage": "+49 1"}}}
        outcome = interpret_operation(await _run(client, device, body))  # type inferred
    assert outcome.platform_status == "RESET_PASSWORD_RECENTLY"


async def test_bad_bodies_are_permanent_errors_with_googles_status() -> None:
    state = populated_state(1, seed=11)
    device = _name(state, DeviceKind.FULLY_MANAGED)
    async with simulator(state) as client:
        for body in ({"type": "SELF_DESTRUCT"}, {"type": "LOCK", "colour": "red"},
                     {"type": "RESET_PASSWORD", "newPassword": "1234"},
                     {"type": "RESET_PASSWORD", "resetPasswordFlags": ["FORCE"]},
                     {"type": "START_LOST_MODE", "startLostModeParams": {}},
                     {"type": "START_LOST_MODE",
                      "startLostModeParams": {"lostMessage": "not an object"}},
                     {"type": "WIPE", "wipeParams": {"wipeReason": {"defaultMessage": "x" * 201}}}):
            with pytest.raises(AmapiPermanentError) as caught:
                await client.issue_command(device, body)
            assert caught.value.http_status == 400
            assert caught.value.google_status == "INVALID_ARGUMENT"
        with pytest.raises(AmapiPermanentError) as missing:
            await client.get_device(f"{DEFAULT_ENTERPRISE}/devices/nope")
        assert (missing.value.http_status, missing.value.code) == (404, "amapi.not_found")
    assert state.effects == {}


async def test_resource_names_are_checked_before_any_request() -> None:
    async with AmapiClient(StaticToken(TOKEN), base_url="http://127.0.0.1:9/v1") as client:
        for name in ("enterprises/e/devices/d/../../x", "enterprises/e", "devices/d?x=1"):
            with pytest.raises(InvalidParameters):
                await client.get_device(name)


async def test_list_pages_delete_and_cancel() -> None:
    state = populated_state(5, seed=12, completion_delay_s=60)
    async with simulator(state) as client:
        first = await client.list_devices(DEFAULT_ENTERPRISE, page_size=2)
        assert len(first.devices) == 2 and first.next_page_token
        names = [d["name"] async for d in client.iter_devices(DEFAULT_ENTERPRISE, page_size=2)]
        assert sorted(names) == sorted(state.devices) and len(names) == 5
        victim = names[0]
        pending = await client.issue_command(victim, {"type": "LOCK"})
        await client.cancel_operation(pending["name"])
        canceled = interpret_operation(await client.get_operation(pending["name"]))
        assert canceled.outcome == "canceled"
        await client.delete_device(victim, ["WIPE_EXTERNAL_STORAGE"], "Lost on a train")
        with pytest.raises(AmapiPermanentError):
            await client.get_device(victim)
    effect = state.effects[victim][-1]
    assert effect.command_type == "DELETE"
    assert effect.details["wipe_flags"] == ["WIPE_EXTERNAL_STORAGE"]
    assert effect.details["wipe_reason"] == "Lost on a train"
    assert state.devices[names[1]].lock_count == 0


async def test_wipe_command_removes_the_device() -> None:
    state = populated_state(1, seed=13)
    device = _name(state, DeviceKind.FULLY_MANAGED)
    command = build_command(Action.WIPE, CommandParams(), ManagementMode.ANDROID_FULLY_MANAGED)
    assert command is not None
    async with simulator(state) as client:
        assert interpret_operation(await _run(client, device, command.body)).outcome == \
            "acknowledged"
        with pytest.raises(AmapiPermanentError):
            await client.get_device(device)
    assert device in state.removed


async def test_quota_exhaustion_is_transient_with_retry_delay() -> None:
    state = populated_state(1, seed=14)
    device = _name(state, DeviceKind.FULLY_MANAGED)
    async with simulator(state, quota=2, quota_window_s=30) as client:
        await client.get_device(device)
        await client.get_device(device)
        with pytest.raises(AmapiTransientError) as caught:
            await client.get_device(device)
    assert caught.value.google_status == "RESOURCE_EXHAUSTED"
    assert caught.value.retry_after is not None and 1 <= caught.value.retry_after <= 30


async def test_the_client_takes_one_quota_token_per_request() -> None:
    state = populated_state(1, seed=15)
    bucket = TokenBucket(50, 100.0, clock=lambda: 0.0)  # frozen: no refill during the test
    async with serving(create_app(state, token=TOKEN)) as url:
        async with AmapiClient(StaticToken(TOKEN), base_url=f"{url}/v1", quota=bucket) as client:
            await client.list_devices(DEFAULT_ENTERPRISE)
            await client.list_devices(DEFAULT_ENTERPRISE)
    assert bucket.tokens_left == 48


class RotatingToken:
    """Hands out a stale token first, a good one after `invalidate` (like an expired OAuth one)."""

    def __init__(self) -> None:
        self.tokens, self.invalidated = ["stale", TOKEN], 0

    async def authorization(self) -> str:
        return f"Bearer {self.tokens[0]}"

    def invalidate(self) -> None:
        self.invalidated += 1
        self.tokens = self.tokens[1:] or self.tokens


async def test_a_401_fetches_a_new_token_once() -> None:
    state = populated_state(1, seed=16)
    auth = RotatingToken()
    async with serving(create_app(state, token=TOKEN)) as url:
        async with AmapiClient(auth, base_url=f"{url}/v1") as client:
            assert (await client.list_devices(DEFAULT_ENTERPRISE)).devices
        async with AmapiClient(StaticToken("wrong"), base_url=f"{url}/v1") as client:
            with pytest.raises(AmapiTransientError) as caught:
                await client.list_devices(DEFAULT_ENTERPRISE)
    assert auth.invalidated == 1
    assert caught.value.http_status == 401


async def test_service_account_tokens_come_from_the_token_endpoint() -> None:
    state = populated_state(1, seed=17)
    grants: list[str] = []

    async def token(request: Request) -> JSONResponse:
        form = await request.form()
        grants.append(str(form["grant_type"]))
        return JSONResponse({"access_token": TOKEN, "expires_in": 3600, "token_type": "Bearer"})

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()).decode()
    app = Starlette(routes=[Route("/token", token, methods=["POST"]),
                            Mount("/", create_app(state, token=TOKEN))])
    async with serving(app) as url:
        auth = ServiceAccountAuth.from_info({
            "type": "service_account", "client_email": "ssp@example.iam.gserviceaccount.com",
            "private_key": pem, "private_key_id": "1", "token_uri": f"{url}/token",
        })
        async with AmapiClient(auth, base_url=f"{url}/v1") as client:
            await asyncio.gather(*(client.list_devices(DEFAULT_ENTERPRISE) for _ in range(5)))
    assert grants == ["urn:ietf:params:oauth:grant-type:jwt-bearer"]  # one refresh, shared


async def test_transport_errors_are_transient() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # bound, never listening: connection refused
        async with AmapiClient(StaticToken(TOKEN), base_url=f"http://127.0.0.1:{port}/v1") as c:
            with pytest.raises(AmapiTransientError) as caught:
                await c.get_device(f"{DEFAULT_ENTERPRISE}/devices/x")
    assert caught.value.code == "amapi.transport"
