"""Two gateway instances on one database and one set of consumer groups, as deployed behind a
load balancer, with memory reads: the wipe circuit breaker counts across both, a live stream
on one hears changes whose records the other one's projection consumers processed, and a
logout on one is honoured by the other within the session cache time."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from ssp_contracts.rpc import AdminReply
from ssp_contracts.topics import COMMANDS_STATUS
from ssp_devstack.processes import ServiceProcess

from tests.gateway.portal_world import World
from tests.gateway.rpc_responder import RpcResponder
from tests.gateway.session_gateway import instances, worlds_on
from tests.gateway.test_destructive_actions import _confirmation
from tests.gateway.test_live_status import status
from tests.support.kafka import Producer
from tests.support.waiting import eventually

# Memory reads on (as a fast deployment runs): both instances answer from memory, kept
# current by their live feeds.
BREAKER = {"SSP_WIPE_BREAKER_MAX": "2", "SSP_WIPE_BREAKER_WINDOW_S": "3600",
           "SSP_WIPE_BREAKER_POLL_S": "0.5", "SSP_MEMORY_READS": "true",
           "SSP_MEMORY_RESYNC_S": "5", "SSP_SESSION_CACHE_S": "2"}


@pytest.fixture(scope="module")
def two_gateways(stack_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory,
                 ) -> Iterator[list[ServiceProcess]]:
    with instances(stack_env, tmp_path_factory.mktemp("two-gateways"), BREAKER) as procs:
        yield procs


@pytest.fixture
async def worlds(two_gateways: list[ServiceProcess], responder: RpcResponder,
                 producer: Producer, bootstrap: str) -> AsyncIterator[tuple[World, World]]:
    async with worlds_on(two_gateways, responder, producer, bootstrap) as both:
        yield both


def gauge(metrics: str, name: str) -> float:
    found = re.search(rf"^{name} (\S+)$", metrics, re.MULTILINE)
    assert found, name
    return float(found.group(1))


async def metrics_of(url: str) -> str:
    async with httpx.AsyncClient(base_url=url) as http:
        return (await http.get("/metrics")).text


async def test_the_wipe_breaker_counts_across_instances_and_an_admin_resets_it(worlds):
    one, two = worlds
    alice = await one.user()
    phones = [await one.device(alice) for _ in range(3)]
    on_one, on_two = await one.browser(alice), await two.browser(alice)
    for b in (on_one, on_two):
        for phone in phones:
            await one.sees_device(b, phone.device_id)
        assert (await b.post("/api/v1/session/reauth", {"password": alice.password})).is_success

    async def wipe(b, phone) -> httpx.Response:
        token = await _confirmation(b, phone.device_id)
        return await b.command(phone.device_id, "wipe", confirmation_token=token)

    assert (await wipe(on_one, phones[0])).status_code == 202
    assert (await wipe(on_two, phones[1])).status_code == 202
    tripped = await wipe(on_one, phones[2])  # the third in the window: one too many
    assert tripped.status_code == 503, tripped.text
    assert tripped.headers["content-type"].startswith("application/problem+json")
    assert tripped.json()["code"] == "wipe.circuit_open"
    assert int(tripped.headers["Retry-After"]) > 0
    refused = await wipe(on_two, phones[2])  # the other instance knows it from the database
    assert refused.status_code == 503 and refused.json()["code"] == "wipe.circuit_open"
    # Other actions go on.
    assert (await on_two.command(phones[2].device_id, "lock")).status_code == 202

    for world in (one, two):
        text = await metrics_of(world.base_url)
        assert gauge(text, "ssp_gateway_wipes_refused_total") == 1

    async def both_gauges_open() -> bool:
        return all([gauge(await metrics_of(w.base_url), "ssp_gateway_wipe_breaker_open") >= 1
                    for w in (one, two)])
    await eventually(both_gauges_open, timeout_s=20, what="open gauge on both instances")

    admin_account = await one.user(permissions=["admin"])
    admin = await one.browser(admin_account)
    assert (await on_one.http.get("/api/v1/admin/wipe-breaker")).status_code == 403
    state = (await admin.http.get("/api/v1/admin/wipe-breaker")).json()
    assert state["open"] is True and state["max_wipes"] == 2
    # The reset reaches the permission-service too (the authority; here its stand-in).
    one.responder.admin_replies[(admin_account.user_id, "reset_wipe_breaker")] = AdminReply(
        ok=True, status=200, data={"open": False})
    reset = await admin.http.delete("/api/v1/admin/wipe-breaker",
                                    headers={"X-CSRF-Token": admin.csrf})
    assert reset.status_code == 200 and reset.json()["open"] is False
    assert [r["op"] for r in one.responder.admin_requests
            if r["actor_user_id"] == admin_account.user_id] == ["reset_wipe_breaker"]
    assert (await wipe(on_two, phones[2])).status_code == 202


async def test_a_stream_on_one_instance_hears_changes_processed_by_the_other(worlds):
    """The projection consumers split the partitions between the two instances; the live
    feed of each reads them all. Six devices spread their records over the partitions."""
    one, two = worlds
    alice = await one.user()
    phones = [await one.device(alice) for _ in range(6)]
    watcher, actor = await one.browser(alice), await two.browser(alice)
    for phone in phones:
        await two.sees_device(actor, phone.device_id)
    commands = {}
    for phone in phones:  # requested through instance two
        resp = await actor.command(phone.device_id, "lock")
        assert resp.status_code == 202, resp.text
        commands[resp.json()["command_id"]] = phone.device_id
    heard: set[str] = set()

    async def listen() -> None:
        async with watcher.http.stream("GET", "/api/v1/events") as stream:
            current = None
            async for line in stream.aiter_lines():
                if line.startswith("event: "):
                    current = line[len("event: "):]
                elif line.startswith("data: ") and current == "command":
                    event = json.loads(line[len("data: "):])
                    if event["status"] == "acknowledged":
                        heard.add(event["command_id"])

    task = asyncio.create_task(listen())
    try:
        # As the dispatcher would: each command acknowledged. Sent again with a newer version
        # until heard, since the feed's fresh consumer group starts at the topics' end.
        for version in range(3, 30):
            for command_id, device_id in commands.items():
                if command_id not in heard:
                    await one.producer.send_event(COMMANDS_STATUS, status(
                        one, command_id, device_id, alice.user_id, "acknowledged", version))
            with contextlib.suppress(AssertionError):
                await eventually(lambda: asyncio.sleep(0, len(heard) == len(commands)),
                                 timeout_s=3, what="all heard")
                break
        assert heard == set(commands)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def test_a_logout_on_one_instance_ends_the_session_on_the_other(worlds):
    one, two = worlds
    alice = await one.user()
    on_one = await one.browser(alice)
    cookie = on_one.http.cookies.get("ssp_session")
    elsewhere = two.client_with_session(cookie)
    assert (await elsewhere.get("/api/v1/me")).status_code == 200  # remembered by two now
    resp = await on_one.http.delete("/api/v1/session", headers={"X-CSRF-Token": on_one.csrf})
    assert resp.status_code in (200, 204)

    async def refused() -> bool:
        return (await elsewhere.get("/api/v1/me")).status_code == 401
    await eventually(refused, timeout_s=10, what="logout honoured by the other instance")
