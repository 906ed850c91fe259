"""schemathesis against the gateway's OpenAPI document, in process (ASGI), on the real stack:
valid and invalid requests for every operation, as a normal user and as an admin (session
cookie and CSRF header), must never get a server error (5xx).

Cases are drawn by schemathesis' strategies, then sent through httpx to the app running in
this test's event loop (schemathesis' own ASGI client would run the app in another thread's
loop, away from its Kafka and database clients). The budget per operation and mode is
SSP_FUZZ_EXAMPLES (default 12). Left out: GET /api/v1/events, a Server-Sent Events stream that
never ends and so cannot be read whole through an ASGI transport (tests/gateway/test_live_status
covers it), and logging in/out is repeated when a case ends the session.
"""

from __future__ import annotations

import functools
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
import schemathesis.openapi
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.generation import GenerationMode
from ssp_contracts.rpc import AdminReply

from tests.gateway.portal_world import Browser, World
from tests.gateway.registry_process import registry
from tests.gateway.rpc_responder import RpcResponder
from tests.security.conftest import BASE_URL, InProcessGateway

_ = registry  # reservations are answered by a real device-registry

EXAMPLES = int(os.environ.get("SSP_FUZZ_EXAMPLES", "12"))
STREAMS = {"GET /api/v1/events"}


def draw_cases(strategy: Any, n: int) -> list[Any]:
    found: list[Any] = []

    @given(strategy)
    @settings(max_examples=n, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    def collect(case: Any) -> None:
        found.append(case)

    try:
        collect()
    except Unsatisfiable:  # e.g. no invalid request exists for an operation without inputs
        return []
    return found


def _as_file(value: Any) -> Any:
    """requests-style multipart parts (what schemathesis builds) in the shape httpx takes."""
    if isinstance(value, tuple):
        filename, content, *rest = value
        if not isinstance(content, (bytes, str)):
            content = str(content)
        return (filename, content, *rest)
    return value if isinstance(value, (bytes, str)) else str(value)


SESSION_CHANGING = {"POST /api/v1/session", "DELETE /api/v1/session",
                    "POST /api/v1/session/reauth"}


@dataclass
class Caller:
    world: World
    http: httpx.AsyncClient
    cookie: str = ""
    csrf: str = ""

    async def login(self, account: Any, gateway: InProcessGateway) -> None:
        """From an address of its own: the fuzzed logins may have used up this one's."""
        async with httpx.AsyncClient(base_url=BASE_URL, transport=gateway.transport()) as http:
            resp = await http.post("/api/v1/session", json={
                "username": account.username, "password": account.password,
                "org": account.org_id})
        assert resp.status_code == 200, resp.text
        self.http.cookies = httpx.Cookies({"ssp_session": resp.cookies["ssp_session"]})
        self.cookie = resp.cookies["ssp_session"]
        self.csrf = resp.json()["csrf_token"]

    async def send(self, case: Any) -> httpx.Response:
        kw = case.as_transport_kwargs(base_url=BASE_URL)
        url = urlsplit(kw["url"])
        headers = {k: v for k, v in (kw.get("headers") or {}).items()
                   if k.lower() not in {"connection", "accept-encoding"}}
        headers.setdefault("X-CSRF-Token", self.csrf)
        self.http.cookies = httpx.Cookies({**(kw.get("cookies") or {}),
                                           "ssp_session": self.cookie})
        request: dict[str, Any] = {"params": kw.get("params") or None, "headers": headers}
        if kw.get("json") is not None or "json" in kw:
            request["json"] = kw["json"]
        elif kw.get("files"):
            request["files"] = [(name, _as_file(value)) for name, value in kw["files"]]
            request["data"] = kw.get("data") or None
        elif kw.get("data") is not None:
            data = kw["data"]
            if isinstance(data, (bytes, str)):
                request["content"] = data
            else:
                request["data"] = data
        return await self.http.request(kw["method"], url.path, **request)


@pytest.fixture
async def fuzz_world(local_world: World, responder: RpcResponder) -> AsyncIterator[World]:
    responder.refuse_unknown = True
    yield local_world
    responder.refuse_unknown = False
    responder.admin_replies.clear()


@functools.cache
def _cases() -> list[tuple[str, Any]]:
    from portal_gateway.app import create_app
    schema = schemathesis.openapi.from_dict(create_app().openapi())
    cases = []
    for result in schema.get_all_operations():
        op = result.ok()
        label = f"{op.method.upper()} {op.path}"
        if label in STREAMS:
            continue
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            cases += [(label, c) for c in draw_cases(op.as_strategy(generation_mode=mode),
                                                     EXAMPLES)]
    return cases


@pytest.mark.parametrize("role", ["user", "admin"])
async def test_no_generated_request_gets_a_server_error(role: str, fuzz_world: World,
                                                        in_process: InProcessGateway,
                                                        registry: Any):
    permissions = ["admin"] if role == "admin" else None
    account = await fuzz_world.user(permissions=permissions)
    if role == "admin":  # what the permission-service would answer an admin, shape-wise
        fuzz_world.responder.admin_replies[account.user_id] = AdminReply(
            ok=True, status=200, data={"items": []})
    else:
        phone = await fuzz_world.device(account)
    caller = Caller(fuzz_world, fuzz_world.http_client())
    await caller.login(account, in_process)
    if role == "user":
        await fuzz_world.sees_device(Browser(caller.http, account), phone.device_id)
    errors, seen, signed_out = [], 0, 0
    for label, case in _cases():
        resp = await caller.send(case)
        seen += 1
        signed_out += resp.status_code == 401 and label not in SESSION_CHANGING
        if resp.status_code >= 500:
            errors.append(f"{label} -> {resp.status_code} {resp.text[:200]}\n"
                          f"  {case.as_curl_command()}")
        if label in SESSION_CHANGING and (await caller.http.get("/api/v1/me")).status_code \
                == 401:  # the case logged out: sign in again
            await caller.login(account, in_process)
    print(f"{role}: {seen} generated requests, {len(errors)} server errors, "
          f"{signed_out} answered 401")
    assert errors == []
    assert signed_out < seen // 20  # the requests were made signed in, or they prove little
