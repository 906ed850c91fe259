"""Cross-service tests run against the real Kafka and the real MongoDB-wire database.

`make test` starts the test stack and exports KAFKA_BOOTSTRAP_SERVERS and MONGODB_URL (and
the Kafka admin principal's SASL credentials, which every test client takes through
`ssp_runtime.kafka_auth.kafka_options()`; service processes get their own principal); when
they are missing (pytest run by hand), the stack is started here on the test ports.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest
from pymongo import AsyncMongoClient
from ssp_contracts.topics import TOPICS, dlq_name
from ssp_devstack.processes import ServiceProcess, free_port
from ssp_devstack.signing_keys import signing_env
from ssp_devstack.stack import Stack, StackConfig
from ssp_runtime.kafka import ensure_topics

# The session's gateway, shared by tests/gateway and tests/security (one process, not two).
from tests.gateway.session_gateway import gateway, producer, responder, world

_ = (gateway, producer, responder, world)  # fixtures, registered by name

# Every service process the tests start inherits this environment (ServiceProcess passes
# os.environ on): one signing key pair per signer for the whole run. `make test` sets them
# already (ssp_devstack exec); a pytest run by hand gets its own here.
for _name, _value in signing_env().items():
    os.environ.setdefault(_name, _value)

TEST_PORTS = {"SSP_DEVSTACK_DIR": ".devstack/test", "SSP_DEVSTACK_KAFKA_PORT": "19092",
              "SSP_DEVSTACK_CONTROLLER_PORT": "19093", "SSP_DEVSTACK_MONGO_PORT": "28017"}


@pytest.fixture(scope="session")
def stack_env() -> Iterator[dict[str, str]]:
    if os.environ.get("KAFKA_BOOTSTRAP_SERVERS") and os.environ.get("MONGODB_URL"):
        yield {k: os.environ[k] for k in ("KAFKA_BOOTSTRAP_SERVERS", "MONGODB_URL")}
        return
    for key, value in TEST_PORTS.items():
        os.environ.setdefault(key, value)
    stack = Stack(StackConfig.from_env())
    started = stack.up()
    env = stack.client_env()
    os.environ.update(env)  # Kafka's credentials too: every client reads them from here
    try:
        yield {k: env[k] for k in ("KAFKA_BOOTSTRAP_SERVERS", "MONGODB_URL")}
    finally:
        for component in started:  # leave running what someone else started
            stack.stop(component)


@pytest.fixture(scope="session")
async def bootstrap(stack_env: dict[str, str]) -> str:
    """The broker, with every topic of the topic table (and its DLQ) created."""
    servers = stack_env["KAFKA_BOOTSTRAP_SERVERS"]
    await ensure_topics(servers, [*TOPICS, *(dlq_name(t) for t in TOPICS)])
    return servers


@pytest.fixture
async def mongo(stack_env: dict[str, str]) -> AsyncIterator[AsyncMongoClient]:
    client: AsyncMongoClient = AsyncMongoClient(stack_env["MONGODB_URL"], tz_aware=True)
    yield client
    await client.close()


@pytest.fixture
def run_id() -> str:
    """Random per test, so tests can share one database server and one broker."""
    return uuid.uuid4().hex[:10]


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):  # type: ignore[no-untyped-def]
    report = yield
    if report.when == "call":
        item.stash[_FAILED] = report.failed
    return report


_FAILED = pytest.StashKey[bool]()


@pytest.fixture
def services(request: pytest.FixtureRequest, stack_env: dict[str, str], run_id: str,
             tmp_path: Path) -> Iterator[Callable[..., ServiceProcess]]:
    """Start service processes for this test; each gets its own database; all stop at the end."""
    started: list[ServiceProcess] = []

    def start(module: str, *, wait: bool = True, args: list[str] | None = None,
              **env: str) -> ServiceProcess:
        if module == "command_dispatcher":  # its device listener too, never the default 8100
            env.setdefault("SSP_DEVICE_HTTP_PORT", str(free_port()))
        proc = ServiceProcess(
            module=module, port=free_port(), log_path=tmp_path / f"{module}-{len(started)}.log",
            args=args or [],
            env={**stack_env, "SSP_MONGODB_DATABASE": f"t{run_id}_{module}",
                 "SSP_LOG_JSON": "true", "SSP_HEARTBEAT_INTERVAL_S": "1",
                 **env},
        )
        started.append(proc)
        return proc.start(wait=wait)

    yield start
    for proc in started:
        proc.stop()
    if request.node.stash.get(_FAILED, False):  # the services' own words explain most failures
        for proc in started:
            print(f"\n----- {proc.module} ({proc.log_path}) -----\n{proc.tail(60)}")


def database_name(run_id: str, module: str) -> str:
    return f"t{run_id}_{module}"
