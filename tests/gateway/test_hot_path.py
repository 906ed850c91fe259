"""Issue 16: the command POST does no synchronous database work but its record (sessions,
accounts and devices from memory, rate limits and one-pending-per-action pre-checked in
memory), counted with `ssp_db_commands_total`; and a session ended on one instance is refused
by every instance within a second (by event, not by a cache running out).

Two instances of one deployment with memory reads, their periodic database work (resync,
sweeps, breaker gauge) set an hour apart, and sessions remembered for an hour: only the
`ssp.sessions` announcement can make the second instance forget one."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from ssp_devstack.processes import ServiceProcess

from tests.gateway.portal_world import World
from tests.gateway.rpc_responder import RpcResponder
from tests.gateway.session_gateway import instances, worlds_on
from tests.support.kafka import Producer

HOUR = "3600"
QUIET = {"SSP_MEMORY_READS": "true", "SSP_SESSION_CACHE_S": HOUR, "SSP_MEMORY_RESYNC_S": HOUR,
         "SSP_SESSION_SWEEP_S": HOUR, "SSP_WIPE_BREAKER_POLL_S": HOUR,
         "SSP_OUTBOX_POLL_S": HOUR}


@pytest.fixture(scope="module")
def quiet_gateways(stack_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory,
                   ) -> Iterator[list[ServiceProcess]]:
    with instances(stack_env, tmp_path_factory.mktemp("quiet-gateways"), QUIET) as procs:
        yield procs


@pytest.fixture
async def worlds(quiet_gateways: list[ServiceProcess], responder: RpcResponder,
                 producer: Producer, bootstrap: str) -> AsyncIterator[tuple[World, World]]:
    async with worlds_on(quiet_gateways, responder, producer, bootstrap) as both:
        yield both


async def db_commands(url: str) -> dict[str, float]:
    """"command collection" -> database commands this instance sent so far."""
    async with httpx.AsyncClient(base_url=url) as http:
        text = (await http.get("/metrics")).text
    return {f"{s.labels['command']} {s.labels['collection']}": s.value
            for family in text_string_to_metric_families(text) for s in family.samples
            if s.name == "ssp_db_commands_total"}


async def settled(url: str, timeout_s: float = 30.0) -> dict[str, float]:
    """The counts once the instance's asynchronous work (its projection consumers writing
    this test's devices and account) stopped for a second."""
    deadline = time.monotonic() + timeout_s
    last = await db_commands(url)
    while time.monotonic() < deadline:
        await asyncio.sleep(1.0)
        now = await db_commands(url)
        if now == last:
            return now
        last = now
    raise AssertionError(f"the gateway never stopped using the database: {last}")


def spent(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    return {k: v - before.get(k, 0.0) for k, v in after.items() if v > before.get(k, 0.0)}


async def test_a_command_post_costs_at_most_one_database_round_trip(worlds):
    one, _ = worlds
    alice = await one.user()
    phones = [await one.device(alice) for _ in range(6)]
    b = await one.browser(alice)
    for phone in phones:  # session, account and devices now in this instance's memory
        await one.sees_device(b, phone.device_id)
    idle_from = await settled(one.base_url)
    await b.http.get("/api/v1/me")
    idle = spent(idle_from, await db_commands(one.base_url))
    assert idle == {}, f"an authenticated read went to the database: {idle}"

    before = await db_commands(one.base_url)
    posts = 0
    for phone in phones[:5]:
        for action in ("lock", "refresh"):
            resp = await b.command(phone.device_id, action)
            assert resp.status_code == 202, resp.text
            posts += 1
    plain = spent(before, await db_commands(one.base_url))
    assert sum(plain.values()) / posts <= 1, plain

    before = await db_commands(one.base_url)
    keyed = await b.command(phones[5].device_id, "lock",
                            headers={"Idempotency-Key": uuid.uuid4().hex})
    assert keyed.status_code == 202, keyed.text
    with_key = spent(before, await db_commands(one.base_url))
    assert sum(with_key.values()) <= 2, with_key  # the key's claim is the one extra write


async def test_a_session_ended_on_one_instance_is_refused_by_the_other_within_a_second(worlds):
    one, two = worlds
    alice = await one.user()
    on_one = await one.browser(alice)
    cookie = on_one.http.cookies.get("ssp_session")
    elsewhere = two.client_with_session(cookie)
    assert (await elsewhere.get("/api/v1/me")).status_code == 200  # remembered by two now
    resp = await on_one.http.delete("/api/v1/session", headers={"X-CSRF-Token": on_one.csrf})
    assert resp.status_code == 204
    ended = time.monotonic()
    while (status := (await elsewhere.get("/api/v1/me")).status_code) == 200:
        assert time.monotonic() - ended < 1.0, "the other instance still takes the session"
    assert status == 401
    assert (await one.client_with_session(cookie).get("/api/v1/me")).status_code == 401
