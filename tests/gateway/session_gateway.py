"""One real gateway process for the whole session, fed over the real Kafka; shared by the
gateway and security tests (tests/conftest.py imports these fixtures, so there is one).

One process, not one per test (`services`), and its projections start at the topics' end
(SSP_PROJECTIONS_FROM_BEGINNING=false): replaying the shared broker's whole history, which
grows all day with everyone's tests, cost up to a minute per start on a loaded machine. Every
test builds its own random org, users and devices, so tests never see each other's data.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from ssp_devstack.processes import ServiceProcess, free_port

from tests.gateway.catch_up import wait_until_caught_up
from tests.gateway.portal_world import World
from tests.gateway.rpc_responder import RpcResponder
from tests.support.kafka import Producer


def gateway_env(stack_env: dict[str, str], run_id: str) -> dict[str, str]:
    return {**stack_env, "SSP_MONGODB_DATABASE": f"t{run_id}_portal_gateway",
            "SSP_CONSUMER_GROUP_PREFIX": f"portal-gateway-t{run_id}", "SSP_LOG_JSON": "true",
            "SSP_HEARTBEAT_INTERVAL_S": "5", "SSP_OUTBOX_POLL_S": "0.5",
            "SSP_RPC_TIMEOUT_S": "5", "SSP_PROJECTIONS_FROM_BEGINNING": "false",
            # Every test client logs in from 127.0.0.1: the per-address limit is tested on
            # its own (tests/security), not tripped by the whole suite's logins.
            "SSP_LOGIN_ADDRESS_LIMIT": "1000000"}


@contextlib.contextmanager
def instances(stack_env: dict[str, str], logs: Path, env: dict[str, str],
              count: int = 2) -> Iterator[list[ServiceProcess]]:
    """`count` gateway processes of one deployment (one database, one consumer group
    prefix), as deployed behind a load balancer."""
    run_id = uuid.uuid4().hex[:10]
    procs = [ServiceProcess(module="portal_gateway", port=free_port(),
                            env={**gateway_env(stack_env, run_id), **env},
                            log_path=logs / f"portal_gateway-{i}.log")
             for i in range(1, count + 1)]
    for proc in procs:
        proc.start(wait=False)
    try:
        for proc in procs:
            proc.wait_ready(90)
        yield procs
    finally:
        for proc in procs:
            proc.stop()


@contextlib.asynccontextmanager
async def worlds_on(procs: list[ServiceProcess], responder: RpcResponder, producer: Producer,
                    bootstrap: str) -> AsyncIterator[tuple[World, World]]:
    """One org seen through the first two instances."""
    for proc in procs:
        await wait_until_caught_up(proc.url, bootstrap, responder)
    first = World(producer, responder, procs[0].url)
    second = World(producer, responder, procs[1].url, org_id=first.org_id)
    try:
        yield first, second
    finally:
        await first.close()
        await second.close()


@pytest.fixture(scope="session")
def gateway(stack_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory,
            ) -> Iterator[ServiceProcess]:
    run_id = uuid.uuid4().hex[:10]
    log_dir: Path = tmp_path_factory.mktemp("gateway")
    proc = ServiceProcess(module="portal_gateway", port=free_port(),
                          env=gateway_env(stack_env, run_id),
                          log_path=log_dir / "portal_gateway.log")
    proc.start(wait=True, timeout=90)
    yield proc
    proc.stop()


@pytest.fixture(scope="session")
async def responder(gateway: ServiceProcess, bootstrap: str) -> AsyncIterator[RpcResponder]:
    rpc = RpcResponder(bootstrap)  # after the gateway: it creates the RPC topics
    await rpc.start()
    await wait_until_caught_up(gateway.url, bootstrap, rpc)
    yield rpc
    await rpc.stop()


@pytest.fixture(scope="session")
async def producer(bootstrap: str) -> AsyncIterator[Producer]:
    async with Producer(bootstrap) as p:
        yield p


@pytest.fixture
async def world(gateway: ServiceProcess, responder: RpcResponder,
                producer: Producer) -> AsyncIterator[World]:
    w = World(producer, responder, gateway.url)
    yield w
    await w.close()
