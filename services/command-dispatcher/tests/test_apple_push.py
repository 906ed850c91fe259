"""APNs push: request building, provider tokens, result classification, HTTP/2, coalescing."""

import asyncio
import base64
import json
import socket
from collections.abc import AsyncIterator

import httpx
import pytest
from command_dispatcher.apple.apns_jwt import ProviderToken
from command_dispatcher.apple.push import (
    ApnsClient,
    ApnsSettings,
    PushResult,
    PushTarget,
    build_push_request,
)
from command_dispatcher.apple.push_coalescer import PushCoalescer
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from hypercorn.asyncio import serve
from hypercorn.config import Config
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

TARGET = PushTarget(token=bytes.fromhex("00ff10"), push_magic="MAGIC-1", topic="com.apple.mgmt.x")


def test_request_is_exactly_what_apns_expects() -> None:
    request = build_push_request("https://api.push.apple.com/", TARGET, expires_at=1_800_000_000)
    assert request.url == "https://api.push.apple.com/3/device/00ff10"
    assert request.body == b'{"mdm":"MAGIC-1"}'
    assert request.headers == {
        "apns-topic": "com.apple.mgmt.x",
        "apns-push-type": "mdm",
        "apns-priority": "10",
        "apns-expiration": "1800000000",
        "content-type": "application/json",
    }


def test_request_refuses_incomplete_targets() -> None:
    with pytest.raises(ValueError):
        build_push_request("https://x", PushTarget(b"", "m", "t"), expires_at=0)


def _b64(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def test_provider_token_is_a_valid_es256_jwt_and_is_cached() -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    now = [1_000_000.0]
    token = ProviderToken(pem, "KEY123", "TEAM456", clock=lambda: now[0])
    jwt = token.current()
    header, claims, signature = jwt.split(".")
    assert json.loads(_b64(header)) == {"alg": "ES256", "kid": "KEY123"}
    assert json.loads(_b64(claims)) == {"iss": "TEAM456", "iat": 1_000_000}
    raw = _b64(signature)
    der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    key.public_key().verify(der, f"{header}.{claims}".encode(), ec.ECDSA(hashes.SHA256()))
    now[0] += 49 * 60
    assert token.current() == jwt  # refreshing too often makes APNs answer 429
    now[0] += 2 * 60
    assert token.current() != jwt
    token.invalidate()
    assert json.loads(_b64(token.current().split(".")[1]))["iat"] == int(now[0])


def test_provider_token_needs_a_p256_key() -> None:
    pem = ec.generate_private_key(ec.SECP384R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    with pytest.raises(ValueError):
        ProviderToken(pem, "k", "t")


@pytest.mark.parametrize(
    ("result", "permanent", "transient"),
    [
        (PushResult(True, 200), False, False),
        (PushResult(False, 410, "Unregistered"), True, False),
        (PushResult(False, 400, "BadDeviceToken"), True, False),
        (PushResult(False, 400, "DeviceTokenNotForTopic"), True, False),
        (PushResult(False, 400, "BadTopic"), False, False),  # our configuration, not the device
        (PushResult(False, 403, "ExpiredProviderToken"), False, True),
        (PushResult(False, 429, "TooManyRequests"), False, True),
        (PushResult(False, 503, "ServiceUnavailable"), False, True),
        (PushResult(False, None, "ConnectError"), False, True),
    ],
)
def test_result_classification(result: PushResult, permanent: bool, transient: bool) -> None:
    assert (result.permanent, result.transient) == (permanent, transient)


async def test_client_sends_and_classifies() -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.path.endswith("dead"):
            return httpx.Response(410, json={"reason": "Unregistered", "timestamp": 1})
        return httpx.Response(200, headers={"apns-id": "ID-1"})

    settings = ApnsSettings(base_url="https://apns.test")
    async with ApnsClient(
        settings, transport=httpx.MockTransport(answer), clock=lambda: 100.0
    ) as client:
        ok = await client.push(TARGET)
        assert (ok.ok, ok.status, ok.apns_id) == (True, 200, "ID-1")
        assert seen[0].headers["apns-expiration"] == str(100 + settings.expiration_s)
        assert seen[0].content == b'{"mdm":"MAGIC-1"}'
        assert "authorization" not in seen[0].headers
        dead = await client.push(PushTarget(bytes.fromhex("dead"), "m", "t"))
        assert dead.permanent and dead.reason == "Unregistered"


async def test_transport_errors_are_transient() -> None:
    def fail(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    async with ApnsClient(ApnsSettings(), transport=httpx.MockTransport(fail)) as client:
        result = await client.push(TARGET)
    assert (result.ok, result.status, result.transient) == (False, None, True)


@pytest.fixture
async def local_apns() -> AsyncIterator[tuple[str, list[Request]]]:
    """A tiny HTTP/2 cleartext server standing in for APNs."""
    seen: list[Request] = []

    async def push(request: Request) -> Response:
        await request.body()
        seen.append(request)
        if request.path_params["token"] == "00":
            return JSONResponse({"reason": "BadDeviceToken"}, status_code=400)
        return Response(status_code=200, headers={"apns-id": "A-1"})

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    port = sock.getsockname()[1]
    config = Config()
    config.bind = [f"fd://{sock.detach()}"]
    config.accesslog = None
    stop = asyncio.Event()
    app = Starlette(routes=[Route("/3/device/{token}", push, methods=["POST"])])
    server = asyncio.create_task(serve(app, config, shutdown_trigger=stop.wait))
    yield f"http://127.0.0.1:{port}", seen
    stop.set()
    await server


async def test_push_over_real_http2(local_apns: tuple[str, list[Request]]) -> None:
    base_url, seen = local_apns
    async with ApnsClient(ApnsSettings(base_url=base_url)) as client:
        ok = await client.push(TARGET)
        bad = await client.push(PushTarget(b"\x00", "m", "t"))
    assert ok.ok and ok.apns_id == "A-1"
    assert bad.permanent and bad.reason == "BadDeviceToken"
    assert seen[0].scope["http_version"] == "2"
    assert seen[0].headers["apns-push-type"] == "mdm"
    assert seen[0].headers["apns-topic"] == "com.apple.mgmt.x"


async def test_coalescer_merges_pushes_during_flight_into_one_follow_up() -> None:
    release = asyncio.Event()
    sent: list[str] = []

    async def send(target: str) -> PushResult:
        sent.append(target)
        await release.wait()
        return PushResult(True, 200, apns_id=target)

    coalescer: PushCoalescer[str] = PushCoalescer(send)
    first = coalescer.request("dev-1", "t1")
    await asyncio.sleep(0)  # let the first push start
    later = [coalescer.request("dev-1", f"t{i}") for i in range(2, 6)]
    other = coalescer.request("dev-2", "u1")  # other devices are independent
    assert coalescer.in_flight("dev-1")
    release.set()
    assert (await first).apns_id == "t1"
    results = await asyncio.gather(*later)
    assert {r.apns_id for r in results} == {"t5"}  # one follow-up, with the newest target
    assert (await other).apns_id == "u1"
    assert sorted(sent) == ["t1", "t5", "u1"]
    await coalescer.aclose()
    assert not coalescer.in_flight("dev-1")


async def test_coalescer_passes_failures_to_waiters_and_recovers() -> None:
    calls = 0

    async def send(target: str) -> PushResult:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("boom")
        return PushResult(True, 200)

    coalescer: PushCoalescer[str] = PushCoalescer(send)
    with pytest.raises(RuntimeError):
        await coalescer.push("dev-1", "t")
    assert (await coalescer.push("dev-1", "t")).ok
