"""Issue 17, finding 8 (the gateway's part): "JSON bodies have no size cap (a 50 MB
unauthenticated login body is read whole); `CommandRequest` silently ignores extra fields such
as `requested_by`", and malformed identifiers must be refused (400), never reach a lookup or a
contract's validation (500)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
from ssp_contracts.topics import COMMANDS_REQUESTED

from tests.gateway.portal_world import World
from tests.security.conftest import BASE_URL, InProcessGateway
from tests.support.kafka import Tail

PROBLEM_JSON = "application/problem+json"
CHUNK = 1024 * 1024


class CountingBody:
    """A streamed request body of `chunks` MiB that counts how much the server pulled."""

    def __init__(self, chunks: int) -> None:
        self.chunks, self.pulled = chunks, 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for _ in range(self.chunks):
            self.pulled += 1
            yield b" " * CHUNK


async def test_a_50_mb_login_body_is_refused_413_before_it_is_read(in_process: InProcessGateway):
    """Finding 8: "a 50 MB unauthenticated login body is read whole"."""
    async with httpx.AsyncClient(base_url=BASE_URL, transport=in_process.transport()) as http:
        declared = CountingBody(50)
        resp = await http.post("/api/v1/session", content=declared, headers={
            "Content-Type": "application/json", "Content-Length": str(50 * CHUNK)})
        assert resp.status_code == 413
        assert resp.headers["content-type"].startswith(PROBLEM_JSON)
        assert resp.json()["code"] == "too_large"
        assert declared.pulled <= 1  # refused on the declared length
        chunked = CountingBody(50)  # no length said up front: stopped once past the cap
        resp = await http.post("/api/v1/session", content=chunked,
                               headers={"Content-Type": "application/json"})
        assert resp.status_code == 413 and chunked.pulled <= 2
        small = await http.post("/api/v1/session", json={"username": "x", "password": "y"})
        assert small.status_code != 413


async def test_requested_by_in_a_command_body_is_refused_and_nothing_published(
        world: World, bootstrap: str):
    """Finding 8: "`CommandRequest` silently ignores extra fields such as `requested_by`"."""
    owner, phone, b = await world.owner_with_phone()
    async with Tail(bootstrap, COMMANDS_REQUESTED) as tail:
        resp = await b.post(f"/api/v1/devices/{phone.device_id}/commands",
                            {"action": "refresh", "params": {}, "requested_by": "u-someone"})
        assert resp.status_code == 422, resp.text
        assert resp.headers["content-type"].startswith(PROBLEM_JSON)
        assert [p["field"] for p in resp.json()["problems"]] == ["requested_by"]
        await tail.poll(1.0)
        assert [r for r in tail.seen if r.key == phone.device_id.encode()] == []
    assert owner.user_id != "u-someone"


async def test_malformed_identifiers_are_400(world: World):
    """Finding 8: an identifier outside the id pattern gave 500; now every id in a path has
    the contracts' shape or the request is a 400 problem."""
    _, _, b = await world.owner_with_phone()
    for path in ("/api/v1/devices/..%5C..%5Cetc%5Cpasswd", "/api/v1/devices/a%20b/commands",
                 f"/api/v1/commands/{'x' * 200}", "/api/v1/commands/%3Cscript%3E"):
        resp = await b.http.get(path)
        assert resp.status_code == 400, f"{path}: {resp.status_code} {resp.text[:100]}"
        assert resp.headers["content-type"].startswith(PROBLEM_JSON)
        assert resp.json()["code"] == "identifier.malformed"
