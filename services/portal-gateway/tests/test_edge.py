"""The gateway's one middleware (http/edge.py): what the stack of layers did before, each
response shape checked through the real app (routes only; nothing connects)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from portal_gateway.app import create_app
from portal_gateway.http.edge import Edge
from portal_gateway.http.guards import PUBLIC
from portal_gateway.settings import Settings
from ssp_runtime.signing import new_key_pair

PROBLEM_JSON = "application/problem+json"
SECURITY = ("x-content-type-options", "referrer-policy", "x-frame-options",
            "content-security-policy")


@pytest.fixture
def app() -> FastAPI:
    app = create_app(Settings(portal_request_signing_key=new_key_pair()[0],
                              max_body_bytes=1024))

    @app.get("/api/v1/boom", dependencies=[PUBLIC])
    async def boom() -> None:
        raise RuntimeError("a bug")

    return app


def client(app: FastAPI) -> httpx.AsyncClient:
    # An unexpected error is answered, then raised on for the server to log: seen as an answer.
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app, raise_app_exceptions=False),
                             base_url="http://gw")


def counted(app: FastAPI, route: str, method: str, status: int) -> float:
    value = app.state.service.registry.get_sample_value(
        "ssp_http_requests_total", {"route": route, "method": method, "status": str(status)})
    return value or 0.0


def test_the_router_sits_right_behind_one_middleware(app):
    stack = app.build_middleware_stack()
    assert isinstance(stack, Edge) and stack.app is app.router


async def test_every_response_gets_the_security_headers_static_files_may_be_cached(app):
    async with client(app) as http:
        page = await http.get("/login")
        missing = await http.get("/api/v1/nothing-here")
        static = await http.get("/static/portal.css")
        boom = await http.get("/api/v1/boom")
    for resp in (page, missing, static, boom):
        assert all(resp.headers.get(name) for name in SECURITY), (resp.url, resp.headers)
        assert resp.headers["x-frame-options"] == "DENY"
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    assert static.status_code == 200 and static.headers.get("cache-control") != "no-store"
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"
    assert missing.headers["content-type"] == PROBLEM_JSON
    assert boom.status_code == 500 and boom.headers["content-type"] == PROBLEM_JSON
    assert boom.json()["code"] == "internal" and "a bug" not in boom.text


async def test_a_body_over_the_cap_is_413_declared_or_streamed_uploads_are_left_alone(app):
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(5):
            yield b" " * 500

    async with client(app) as http:
        declared = await http.post("/api/v1/session", content=b"{}", headers={
            "Content-Type": "application/json", "Content-Length": "5000"})
        streamed = await http.post("/api/v1/session", content=chunks(),
                                   headers={"Content-Type": "application/json"})
        small = await http.post("/api/v1/session", json={"username": "x"})
        upload = await http.post("/api/v1/session", files={"f": ("a.csv", b"x" * 5000)})
    for resp in (declared, streamed):
        assert resp.status_code == 413 and resp.json()["code"] == "too_large"
        assert resp.headers["content-type"] == PROBLEM_JSON
        assert resp.headers["x-content-type-options"] == "nosniff"
    assert small.status_code == 422  # read, replayed to the route, validated there
    assert upload.status_code != 413  # uploads have their own cap (http/uploads.py)


async def test_requests_are_counted_by_route_template_and_status(app):
    async with client(app) as http:
        await http.get("/login")
        await http.get("/api/v1/nothing-here")
        await http.post("/api/v1/session", content=b"x" * 2000,
                        headers={"Content-Type": "application/json"})
        await http.get("/api/v1/boom")
    assert counted(app, "/login", "GET", 200) == 1
    assert counted(app, "<unmatched>", "GET", 404) == 1
    assert counted(app, "<unmatched>", "POST", 413) == 1
    assert counted(app, "/api/v1/boom", "GET", 500) == 1
    latency = app.state.service.registry.get_sample_value(
        "ssp_http_request_duration_seconds_count", {"route": "/login", "method": "GET"})
    assert latency == 1
