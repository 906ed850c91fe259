"""Two gateway instances on one database and one set of consumer groups, as deployed behind a
load balancer: the wipe circuit breaker counts across both."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from ssp_devstack.processes import ServiceProcess, free_port

from tests.gateway.catch_up import wait_until_caught_up
from tests.gateway.conftest import gateway_env
from tests.gateway.portal_world import World
from tests.gateway.rpc_responder import RpcResponder
from tests.gateway.test_destructive_actions import _confirmation
from tests.support.kafka import Producer
from tests.support.waiting import eventually

BREAKER = {"SSP_WIPE_BREAKER_MAX": "2", "SSP_WIPE_BREAKER_WINDOW_S": "3600",
           "SSP_WIPE_BREAKER_POLL_S": "0.5"}


@pytest.fixture(scope="module")
def two_gateways(stack_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory,
                 ) -> Iterator[list[ServiceProcess]]:
    run_id = uuid.uuid4().hex[:10]  # one database, one consumer group prefix: one deployment
    logs: Path = tmp_path_factory.mktemp("two-gateways")
    procs = [ServiceProcess(module="portal_gateway", port=free_port(),
                            env={**gateway_env(stack_env, run_id), **BREAKER},
                            log_path=logs / f"portal_gateway-{i}.log") for i in (1, 2)]
    for proc in procs:
        proc.start(wait=False)
    try:
        for proc in procs:
            proc.wait_ready(90)
        yield procs
    finally:
        for proc in procs:
            proc.stop()


@pytest.fixture
async def worlds(two_gateways: list[ServiceProcess], responder: RpcResponder,
                 producer: Producer, bootstrap: str) -> AsyncIterator[tuple[World, World]]:
    for proc in two_gateways:
        await wait_until_caught_up(proc.url, bootstrap, responder)
    first = World(producer, responder, two_gateways[0].url)
    second = World(producer, responder, two_gateways[1].url, org_id=first.org_id)
    yield first, second
    await first.close()
    await second.close()


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

    admin = await one.browser(await one.user(permissions=["admin"]))
    assert (await on_one.http.get("/api/v1/admin/wipe-breaker")).status_code == 403
    state = (await admin.http.get("/api/v1/admin/wipe-breaker")).json()
    assert state["open"] is True and state["max_wipes"] == 2
    reset = await admin.http.delete("/api/v1/admin/wipe-breaker",
                                    headers={"X-CSRF-Token": admin.csrf})
    assert reset.status_code == 200 and reset.json()["open"] is False
    assert (await wipe(on_two, phones[2])).status_code == 202
