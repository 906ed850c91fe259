"""What the permission-service tests share: a service process per module, a request/reply client
on the real RPC topics, and short ways to ask for a login or an admin op.

No tests here. A module-scoped process (rather than the per-test `services` fixture) keeps the
many small rule tests within the time budget: one start instead of one per test.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from ssp_contracts.rpc import AdminReply, AdminRequest, CredentialsVerdict, VerifyCredentials
from ssp_contracts.topics import RPC_ADMIN, RPC_AUTH_VERIFY
from ssp_devstack.processes import ServiceProcess, free_port
from ssp_runtime.kafka import EventPublisher, ensure_topics
from ssp_runtime.rpc import RpcClient

MODULE = "permission_service"
ADMIN_USERNAME = "root-admin"
ADMIN_PASSWORD = "a-long-bootstrap-password"
USER_PASSWORD = "users-long-password-1"


def new_id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def start_service(stack_env: dict[str, str], log_dir: Path, database: str,
                  **env: str) -> ServiceProcess:
    """The real `python -m permission_service`, as the `services` fixture starts it."""
    proc = ServiceProcess(
        module=MODULE, port=free_port(), log_path=log_dir / f"{MODULE}-{database}.log",
        env={**stack_env, "SSP_MONGODB_DATABASE": database, "SSP_LOG_JSON": "true",
             "SSP_HEARTBEAT_INTERVAL_S": "1", "SSP_OUTBOX_POLL_S": "0.5", **env})
    return proc.start(wait=True)


def admin_env(org: str) -> dict[str, str]:
    return {"SSP_BOOTSTRAP_ADMIN_ORG": org, "SSP_BOOTSTRAP_ADMIN_USERNAME": ADMIN_USERNAME,
            "SSP_BOOTSTRAP_ADMIN_PASSWORD": ADMIN_PASSWORD}


@pytest.fixture(scope="module")
def org() -> str:
    return new_id("org")


@pytest.fixture(scope="module")
def database() -> str:
    return f"t{uuid.uuid4().hex[:10]}_permission_service"


@pytest.fixture(scope="module")
def permission_service(stack_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory,
                       database: str, org: str) -> Iterator[ServiceProcess]:
    proc = start_service(stack_env, tmp_path_factory.mktemp("logs"), database, **admin_env(org))
    yield proc
    proc.stop()


@pytest.fixture(scope="module")
async def rpc(stack_env: dict[str, str]) -> AsyncIterator[RpcClient]:
    """Requests on the real RPC topics, answered on this test process's own reply topic."""
    bootstrap = stack_env["KAFKA_BOOTSTRAP_SERVERS"]
    reply_topic = f"ssp.rpc.replies.tests-{uuid.uuid4().hex[:8]}"
    await ensure_topics(bootstrap, [reply_topic, RPC_ADMIN, RPC_AUTH_VERIFY])
    publisher = EventPublisher(bootstrap, source="tests", client_id="tests-permission")
    await publisher.start()
    client = RpcClient(bootstrap, publisher, reply_topic, timeout_s=20)
    await client.start()
    yield client
    await client.stop()
    await publisher.stop()


async def verify(rpc: RpcClient, org: str, username: str, password: str,
                 client: str | None = None) -> CredentialsVerdict:
    """`client`: the address the gateway says the attempt came from."""
    return await rpc.request(RPC_AUTH_VERIFY, VerifyCredentials(
        org_id=org, username=username, password=password, client=client), CredentialsVerdict)


async def admin_call(rpc: RpcClient, org: str, actor: str, op: Any, *,
                     target_id: str | None = None, **payload: Any) -> AdminReply:
    return await rpc.request(RPC_ADMIN, AdminRequest(
        org_id=org, request_id=new_id("req"), actor_user_id=actor, op=op,
        target_id=target_id, payload=payload), AdminReply)


async def bootstrap_admin_id(rpc: RpcClient, org: str) -> str:
    verdict = await verify(rpc, org, ADMIN_USERNAME, ADMIN_PASSWORD)
    assert verdict.ok and verdict.user_id, verdict
    return verdict.user_id


async def create_user(rpc: RpcClient, org: str, actor: str, *, roles: list[str],
                      username: str | None = None, password: str = USER_PASSWORD) -> str:
    """A new account (through the admin RPC, as an operator would); returns its user id."""
    reply = await admin_call(rpc, org, actor, "create_user", username=username or new_id("user"),
                             password=password, role_ids=roles)
    assert reply.status == 201, reply
    return str(reply.data["user_id"])
