"""BOLA/BFLA matrix generated from the gateway's OpenAPI document (`app.openapi()`).

Every operation names its guard (`x-guard`). For each one the matrix checks: anonymous → 401
unless public; a non-admin → 403 on admin operations; no CSRF header → 403 on unsafe methods
(and no csrf_token field → 403 on the web pages' forms, found from the app's routes); and for
every operation with an object id in its path, another user's object (same org) and another
org's object → 404 problem+json with nothing published on the topics the gateway publishes to.
A new route is covered by construction; a path parameter the matrix cannot fill, or an
operation with a body it cannot build, fails the first test (nobody adds one silently).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from portal_gateway.app import create_app
from portal_gateway.http.guards import every_route, route_guard
from ssp_contracts.rpc import AdminReply
from ssp_contracts.topics import HEARTBEATS

from tests.gateway.portal_world import Browser, World
from tests.gateway.registry_process import LinkWorld, imports_projected, links, registry
from tests.gateway.rpc_responder import Account
from tests.gateway.test_imports import admin_of, completed, upload
from tests.support.kafka import Tail, json_of

_ = (registry, imports_projected, links)  # fixtures used by name

UNSAFE = {"post", "put", "patch", "delete"}
# Path parameters the matrix knows how to fill with a victim's object.
ID_KINDS = {"device_id", "command_id", "user_id", "import_id", "reservation_id"}
PROBLEM_JSON = "application/problem+json"


def _spec() -> dict[str, Any]:
    return create_app().openapi()


SPEC = _spec()
PRODUCED = sorted(t for t in create_app().state.service.produced
                  if t != HEARTBEATS and not t.startswith("ssp.rpc."))


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    guard: str | None
    path_params: tuple[str, ...]
    has_body: bool

    @property
    def label(self) -> str:
        return f"{self.method.upper()} {self.path}"

    def url(self, ids: dict[str, str]) -> str:
        return self.path.format(**{p: ids[p] for p in self.path_params})


def operations() -> list[Operation]:
    ops = []
    for path, items in SPEC["paths"].items():
        for method, op in items.items():
            params = tuple(p["name"] for p in op.get("parameters", []) if p["in"] == "path")
            ops.append(Operation(method, path, op.get("x-guard"), params,
                                 "requestBody" in op))
    return ops


OPS = operations()


def body_for(op: Operation, victim: dict[str, str]) -> Any:
    """A valid body, so the request reaches the object lookup (not a 422 before it)."""
    bodies: dict[str, Callable[[], Any]] = {
        "POST /api/v1/devices/{device_id}/commands": lambda: {"action": "refresh",
                                                              "params": {}},
        "POST /api/v1/devices/{device_id}/commands/confirmations": lambda: {"action": "wipe"},
        "PATCH /api/v1/admin/users/{user_id}": lambda: {"display_name": "Taken over"},
        "PUT /api/v1/admin/users/{user_id}/roles": lambda: {"role_ids": []},
        "PUT /api/v1/admin/devices/{device_id}/user": lambda: {"username": victim["username"]},
        "PUT /api/v1/devices/{device_id}/label": lambda: {"label": "Taken over"},
    }
    return bodies[op.label]() if op.has_body else None


def test_every_operation_declares_a_guard_and_the_matrix_can_fill_it():
    assert OPS, "the OpenAPI document lists no operations"
    unguarded = [op.label for op in OPS if op.guard not in ("public", "user", "admin")]
    assert unguarded == [], f"operations without a guard: {unguarded}"
    unknown = sorted({f"{op.label}: {p}" for op in OPS for p in op.path_params
                      if p not in ID_KINDS})
    assert unknown == [], f"path ids the BOLA matrix cannot fill (extend it): {unknown}"
    fake = {"username": "x"}
    bodiless = []
    for op in OPS:
        if op.path_params and op.has_body:
            try:
                body_for(op, fake)
            except KeyError:
                bodiless.append(op.label)
    assert bodiless == [], f"operations with an id whose body the matrix cannot build: {bodiless}"
    assert PRODUCED, "the gateway declares no topics it publishes to"


def _random_ids() -> dict[str, str]:
    return {kind: f"x-{uuid.uuid4().hex[:8]}" for kind in ID_KINDS}


def _problem(resp: httpx.Response, status: int, code: str | None = None) -> str | None:
    """None when `resp` is the expected problem, else what was wrong."""
    if resp.status_code != status:
        return f"{resp.status_code} {resp.text[:120]}"
    if not resp.headers.get("content-type", "").startswith(PROBLEM_JSON):
        return f"content-type {resp.headers.get('content-type')}"
    if code is not None and resp.json().get("code") != code:
        return f"code {resp.json().get('code')}"
    return None


async def _call(http: httpx.AsyncClient, op: Operation, ids: dict[str, str], *,
                csrf: str | None, body: Any = None) -> httpx.Response:
    headers = {"X-CSRF-Token": csrf} if csrf is not None else {}
    if body is not None:
        return await http.request(op.method, op.url(ids), json=body, headers=headers)
    return await http.request(op.method, op.url(ids), headers=headers)


async def test_anonymous_callers_get_401_on_every_non_public_operation(world: World):
    http = world.http_client()
    wrong = []
    for op in OPS:
        if op.guard == "public":
            continue
        problem = _problem(await _call(http, op, _random_ids(), csrf="x"), 401,
                           "auth.required")
        if problem:
            wrong.append(f"{op.label}: {problem}")
    assert wrong == []


async def test_non_admins_get_403_on_every_admin_operation(world: World):
    user = await world.browser(await world.user())
    wrong = []
    for op in OPS:
        if op.guard != "admin":
            continue
        resp = await _call(user.http, op, _random_ids(), csrf=user.csrf,
                           body=body_for(op, {"username": user.account.username})
                           if op.path_params else None)
        problem = _problem(resp, 403, "admin.required")
        if problem:
            wrong.append(f"{op.label}: {problem}")
    assert wrong == []


async def test_every_unsafe_operation_needs_the_csrf_header(world: World):
    admin = await world.browser(await world.user(permissions=["admin", "ssp.view"]))
    wrong = []
    for op in OPS:
        if op.guard == "public" or op.method not in UNSAFE:
            continue
        for csrf in (None, "not-the-token"):
            problem = _problem(await _call(admin.http, op, _random_ids(), csrf=csrf), 403,
                               "csrf.invalid")
            if problem:
                wrong.append(f"{op.label} (csrf {csrf!r}): {problem}")
    assert wrong == []


def web_form_routes() -> list[tuple[str, str]]:
    """The server-rendered pages' unsafe routes (not in the OpenAPI document), with guards."""
    found = []
    for ctx in every_route(create_app().routes):
        unsafe = {m.lower() for m in ctx.methods or ()} & UNSAFE
        if not ctx.path.startswith("/api/") and unsafe and route_guard(ctx) != "public":
            found += [(method, ctx.path_format) for method in sorted(unsafe)]
    return found


async def test_every_unsafe_web_form_needs_the_csrf_field(world: World):
    admin = await world.browser(await world.user(permissions=["admin", "ssp.view"]))
    forms = web_form_routes()
    assert forms, "no web forms found"
    wrong = []
    for method, path in forms:
        url = path.format(**_random_ids())
        for data in ({}, {"csrf_token": "not-the-token"}):
            resp = await admin.http.request(method, url, data=data)
            if resp.status_code != 403:
                wrong.append(f"{method.upper()} {path} {data}: {resp.status_code}")
    assert wrong == []


@dataclass
class Victim:
    """Org 1's user A and org 1's admin, with one object of every kind the matrix fills."""

    account: Account
    ids: dict[str, str]


async def _victim(links: LinkWorld, admin: Browser) -> Victim:
    world = links.world
    a = (await links.users("alice"))["alice"]
    owner = await world.browser(a)
    phone = await world.device(a)
    await world.sees_device(owner, phone.device_id)
    sent = await owner.command(phone.device_id, "refresh")
    assert sent.status_code == 202, sent.text
    command_id = sent.json()["command_id"]
    assert (await owner.http.get(f"/api/v1/commands/{command_id}")).status_code == 200
    made = await upload(admin, f"serial_number,username\nSN-M1,{a.username}\n".encode(),
                        dry_run=True)
    assert made.status_code == 202, made.text
    import_id = made.json()["import_id"]
    await completed(admin, import_id)
    reserved = await admin.http.post(
        "/api/v1/admin/reservations", headers={"X-CSRF-Token": admin.csrf},
        json={"kind": "serial_number", "value": f"RS{uuid.uuid4().hex[:8]}",
              "username": a.username})
    assert reserved.status_code == 201, reserved.text
    return Victim(a, {"device_id": phone.device_id, "command_id": command_id,
                      "user_id": a.user_id, "import_id": import_id,
                      "reservation_id": reserved.json()["reservation_id"]})


async def _intruder(world: World, **user: Any) -> Browser:
    """A logged-in user with a device of their own (so the portal lets them in at all)."""
    account = await world.user(**user)
    b = await world.browser(account)
    mine = await world.device(account)
    await world.sees_device(b, mine.device_id)
    return b


async def test_other_users_and_other_orgs_objects_are_404_and_publish_nothing(
        links: LinkWorld, bootstrap: str):
    org1 = links.world
    org2 = World(org1.producer, org1.responder, org1.base_url)
    try:
        admin1 = await admin_of(links)
        victim = await _victim(links, admin1)
        neighbour = await _intruder(org1)  # user B: same org, not the owner
        stranger = await _intruder(org2)  # another org's user
        admin2 = await org2.browser(await org2.user(permissions=["admin"]))
        # The permission-service scopes admin requests to the asking admin's org; its answer
        # for an id outside that org is 404 (tests/integration/test_permission_admin.py).
        org1.responder.admin_replies[admin2.account.user_id] = AdminReply(
            ok=False, status=404, code="account.not_found", message="No such account.")
        ours = {org1.org_id, org2.org_id}
        tails = [Tail(bootstrap, topic) for topic in PRODUCED]
        for tail in tails:
            await tail.__aenter__()
        wrong, calls = [], 0
        try:
            for op in OPS:
                if not op.path_params:
                    continue
                actors = [neighbour, stranger] if op.guard == "user" else [admin2]
                for actor in actors:
                    body = body_for(op, {"username": actor.account.username})
                    resp = await _call(actor.http, op, victim.ids, csrf=actor.csrf, body=body)
                    calls += 1
                    problem = _problem(resp, 404)
                    if problem:
                        wrong.append(f"{op.label} as {actor.account.username}: {problem}")
            for tail in tails:
                await tail.poll(1.0)
            published = [(t.topic, json_of(r)) for t in tails for r in t.seen
                         if json.loads(r.value or b"{}").get("org_id") in ours]
        finally:
            for tail in tails:
                await tail.__aexit__(None, None, None)
        assert wrong == []
        assert published == []
        assert calls >= 2 * sum(1 for op in OPS if op.path_params and op.guard == "user")
        forwarded = [r for r in org1.responder.admin_requests
                     if r.get("actor_user_id") == admin2.account.user_id]
        assert forwarded and {r["org_id"] for r in forwarded} == {org2.org_id}
        # The objects are still there for their owners.
        owner = await org1.browser(victim.account)
        assert (await owner.http.get(f"/api/v1/devices/{victim.ids['device_id']}")).is_success
        assert (await admin1.http.get(
            f"/api/v1/admin/imports/{victim.ids['import_id']}")).is_success
        listed = (await admin1.http.get("/api/v1/admin/reservations")).json()["items"]
        assert victim.ids["reservation_id"] in {r["reservation_id"] for r in listed}
    finally:
        await org2.close()


# What any signed-in user may do whatever their access: end or renew the session, read
# /me, which says what is missing (the device list page says it too), and read the help desk
# they are told to ask.
SESSION_OPS = {"DELETE /api/v1/session", "POST /api/v1/session/reauth", "GET /api/v1/me",
               "GET /api/v1/helpdesk"}


async def test_without_a_self_service_permission_a_linked_device_opens_nothing(world: World):
    """Issue 17, finding 6: "The 'permission AND >= 1 linked device' rule is enforced only on
    the HTML list: a user with no self-service permission but a linked device gets 200 with
    full details from GET /api/v1/devices, /devices/{id}, its commands, and the HTML detail
    page." Every user operation but the session's own now gives the list's refusal."""
    account = await world.user(permissions=[])
    phone = await world.device(account)
    user = await world.browser(account)
    await world.knows_access(user, portal_access={"granted": False, "missing": ["permission"]})
    ids = {**_random_ids(), "device_id": phone.device_id}
    user_ops = [op for op in OPS if op.guard == "user" and op.label not in SESSION_OPS]
    assert {"GET /api/v1/devices", "GET /api/v1/devices/{device_id}",
            "GET /api/v1/devices/{device_id}/commands"} <= {op.label for op in user_ops}
    wrong = []
    for op in user_ops:
        body = body_for(op, {"username": account.username}) if op.path_params else None
        resp = await _call(user.http, op, ids, csrf=user.csrf, body=body)
        problem = _problem(resp, 403, "portal.no_access")
        if problem:
            wrong.append(f"{op.label}: {problem}")
        elif resp.json()["missing"] != ["permission"]:
            wrong.append(f"{op.label}: missing {resp.json()['missing']}")
    assert wrong == []
    listed = await user.http.get("/devices")
    page = await user.http.get(f"/devices/{phone.device_id}")
    assert page.status_code == 403
    refusal = "no permission to use the self-service portal"
    assert refusal in listed.text and refusal in page.text
    assert phone.identifiers.serial_number not in page.text
    for path in (f"/devices/{phone.device_id}/actions",
                 f"/devices/{phone.device_id}/commands/x-1/cancel"):
        form = await user.http.post(path, data={"action": "refresh", "csrf_token": user.csrf})
        assert form.status_code == 403 and refusal in form.text


@pytest.fixture(autouse=True)
def _forget_admin_replies(world: World):
    yield
    world.responder.admin_replies.clear()
