"""RFC 9457 problem mapping, and every route declaring its guard."""

from __future__ import annotations

import httpx
import pytest
from fastapi import APIRouter, FastAPI
from portal_gateway.app import create_app
from portal_gateway.domain.errors import (
    FieldProblem,
    NotFound,
    PortalError,
    RateLimited,
    UpstreamRejected,
    ValidationFailed,
)
from portal_gateway.http.guards import PUBLIC, CurrentUser, every_route, route_guard
from portal_gateway.http.problems import install_problem_handlers, problem_body
from portal_gateway.settings import Settings
from pydantic import BaseModel
from ssp_runtime.signing import new_key_pair


def test_domain_error_becomes_a_problem_with_its_code_and_extras():
    body = problem_body(NotFound("device.not_found", "No such device.", device_id="d1"), "/x")
    assert body == {"type": "urn:ssp:problem:device.not_found", "title": "Not found",
                    "status": 404, "detail": "No such device.", "instance": "/x",
                    "code": "device.not_found", "device_id": "d1"}


def test_field_problems_and_upstream_status_are_kept():
    body = problem_body(ValidationFailed([FieldProblem("params.pin", "params.pin_required",
                                                       "PIN!")]), "/x")
    assert body["status"] == 422
    assert body["problems"] == [{"field": "params.pin", "code": "params.pin_required",
                                 "message": "PIN!"}]
    upstream = problem_body(UpstreamRejected(409, "user.username_taken", "Taken."), "/x")
    assert upstream["status"] == 409 and upstream["code"] == "user.username_taken"


class Body(BaseModel):
    n: int


def _app() -> FastAPI:
    app = FastAPI()

    async def page_error(request, error):  # pages are not under test here
        raise AssertionError(error)

    install_problem_handlers(app, page_error)
    router = APIRouter(prefix="/api/v1")

    @router.get("/boom", dependencies=[PUBLIC])
    async def boom() -> None:
        raise RateLimited("rate_limited.x", "Slow down.", 7)

    @router.post("/body", dependencies=[PUBLIC])
    async def body(b: Body) -> None:
        raise PortalError("never", "never")

    app.include_router(router)
    return app


async def test_handlers_answer_problem_json_for_domain_validation_and_unknown_routes():
    transport = httpx.ASGITransport(app=_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://gw") as client:
        resp = await client.get("/api/v1/boom")
        assert resp.status_code == 429 and resp.headers["retry-after"] == "7"
        assert resp.headers["content-type"] == "application/problem+json"
        resp = await client.post("/api/v1/body", json={"n": "x"})
        assert resp.status_code == 422 and resp.json()["problems"][0]["field"] == "n"
        resp = await client.get("/api/v1/nothing-here")
    assert resp.status_code == 404 and resp.json()["code"] == "not_found"


@pytest.fixture(scope="module")
def app() -> FastAPI:
    # Builds routes only; nothing connects before the lifespan. Outside demo mode the request
    # signing key is required.
    return create_app(Settings(portal_request_signing_key=new_key_pair()[0]))


def test_every_route_declares_a_guard(app):
    unguarded = [(r.path, sorted(r.methods or [])) for r in every_route(app.routes)
                 if route_guard(r) is None]
    assert unguarded == []


def test_the_walk_notices_a_route_without_a_guard():
    app = FastAPI()
    router = APIRouter()

    @router.get("/open")
    async def open_route() -> None: ...

    @router.get("/mine")
    async def mine(caller: CurrentUser) -> None: ...

    app.include_router(router)
    guards = {r.path: route_guard(r) for r in every_route(app.routes)}
    assert guards["/open"] is None and guards["/mine"] == "user"


def test_sensitive_routes_have_the_expected_guard(app):
    guards = {(r.path, m): route_guard(r) for r in every_route(app.routes)
              for m in (r.methods or {"*"})}
    assert guards[("/api/v1/session", "POST")] == "public"
    assert guards[("/api/v1/devices/{device_id}/commands", "POST")] == "user"
    assert guards[("/api/v1/admin/users", "POST")] == "admin"
    assert guards[("/admin/devices/{device_id}/link", "POST")] == "admin"
    assert all(kind == "admin" for (path, _), kind in guards.items()
               if path.startswith(("/api/v1/admin", "/admin")))
