"""Kafka is the trust boundary between the services (issue 17): the test stack's broker runs
with SASL/SCRAM, the StandardAuthorizer and `allow.everyone.if.no.acl.found=false`, and each
principal gets only what `ssp_runtime.kafka_acls` grants. These tests speak to that broker as
an attacker would: with no credentials, a wrong password, and each principal on a topic that
is not its own."""

from __future__ import annotations

import asyncio
import os
import uuid
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import (
    GroupAuthorizationFailedError,
    KafkaConnectionError,
    KafkaError,
    TopicAuthorizationFailedError,
)
from ssp_contracts import topics as t
from ssp_devstack.kafka_security import (
    CREDENTIALS_ENV,
    MECHANISM,
    broker_properties,
    load_credentials,
    service_env,
)
from ssp_runtime.kafka_acls import PRINCIPALS, set_scram_passwords
from ssp_runtime.kafka_auth import kafka_options
from ssp_runtime.registration import registered

from tests.support.waiting import eventually

# A principal, and a topic it must not write (and, below, one it must not read).
FOREIGN_WRITES = [
    ("portal-gateway", t.ACCESS),
    ("portal-gateway", t.DEVICES),
    ("portal-gateway", t.COMMANDS_STATUS),
    ("integrator", t.COMMANDS_APPLE),
    ("integrator", t.COMMANDS_STATUS),
    ("command-dispatcher", t.COMMANDS_APPLE),
    ("command-dispatcher", t.ACCESS),
    ("device-registry", t.COMMANDS_APPLE),
    ("device-registry", t.ACCESS),
    ("permission-service", t.DEVICES),
    ("permission-service", t.COMMANDS_REQUESTED),
]
FOREIGN_READS = [
    ("integrator", t.ACCESS),
    ("integrator", t.RPC_AUTH_VERIFY),  # passwords pass there
    ("command-dispatcher", t.RPC_AUTH_VERIFY),
    ("device-registry", t.COMMANDS_REQUESTED),
    ("portal-gateway", t.COMMANDS_APPLE),
]


def credentials() -> dict[str, str]:
    path = os.environ.get(CREDENTIALS_ENV)
    if not path:
        pytest.skip("Kafka is not the devstack's (no credentials file): its ACLs are not ours")
    return load_credentials(Path(path))


def as_principal(name: str, password: str | None = None) -> dict[str, Any]:
    return {"security_protocol": "SASL_PLAINTEXT", "sasl_mechanism": MECHANISM,
            "sasl_plain_username": name,
            "sasl_plain_password": password or credentials()[name]}


def record() -> tuple[bytes, bytes]:
    return f"dev-{uuid.uuid4().hex[:8]}".encode(), b'{"forged": true}'


async def write(bootstrap: str, topic: str, **options: Any) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all",
                                request_timeout_ms=10000, **options)
    await producer.start()
    try:
        key, value = record()
        await producer.send_and_wait(topic, value, key=key)
    finally:
        await producer.stop()


async def read(bootstrap: str, topic: str, group: str | None = None, seconds: float = 3.0,
               **options: Any) -> int:
    """How many records of the topic's partition 0 (from its beginning) the client gets. A
    topic the principal may not even describe raises nothing in aiokafka (it logs "not
    authorized" and retries): it simply never delivers a record; one it may describe (it
    writes there) but not read raises on the fetch, counted as nothing read."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group,
                                auto_offset_reset="earliest", request_timeout_ms=10000,
                                **options)
    await consumer.start()
    received = 0
    try:
        if group is None:
            consumer.assign([TopicPartition(topic, 0)])
        else:
            consumer.subscribe([topic])
        deadline = asyncio.get_running_loop().time() + seconds
        while asyncio.get_running_loop().time() < deadline and not received:
            batches = await consumer.getmany(timeout_ms=250)
            received += sum(len(records) for records in batches.values())
    except TopicAuthorizationFailedError:
        return 0
    finally:
        await consumer.stop()
    return received


async def sentinel(bootstrap: str, topic: str) -> None:
    """A record in partition 0, written by the admin: there is something to read."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", **kafka_options())
    await producer.start()
    try:
        key, value = record()
        await producer.send_and_wait(topic, value, key=key, partition=0)
    finally:
        await producer.stop()


async def test_a_client_without_credentials_can_neither_produce_nor_consume(bootstrap):
    credentials()  # only against the devstack's broker
    with pytest.raises(KafkaConnectionError):
        await write(bootstrap, t.COMMANDS_APPLE, security_protocol="PLAINTEXT")
    with pytest.raises(KafkaConnectionError):
        await read(bootstrap, t.ACCESS, security_protocol="PLAINTEXT")
    await sentinel(bootstrap, t.ACCESS)
    assert await read(bootstrap, t.ACCESS, **kafka_options()) > 0  # the admin reads it


@pytest.mark.parametrize("principal", ["integrator", "ssp-admin"])
async def test_a_wrong_password_is_refused(bootstrap, principal):
    credentials()
    wrong = as_principal(principal, password="not-" + credentials()[principal])
    with pytest.raises(KafkaError):
        await write(bootstrap, t.COMMANDS_REQUESTED, **wrong)
    with pytest.raises(KafkaError):
        await read(bootstrap, t.COMMANDS_STATUS, **wrong)
    await write(bootstrap, t.COMMANDS_REQUESTED, **as_principal(principal))  # the right one


@pytest.mark.parametrize(("principal", "topic"), FOREIGN_WRITES)
async def test_a_principal_cannot_write_a_topic_it_does_not_own(bootstrap, principal, topic):
    with pytest.raises(TopicAuthorizationFailedError):
        await write(bootstrap, topic, **as_principal(principal))


@pytest.mark.parametrize(("principal", "topic"), FOREIGN_READS)
async def test_a_principal_cannot_read_a_topic_it_does_not_own(bootstrap, principal, topic):
    await sentinel(bootstrap, topic)
    assert await read(bootstrap, topic, **as_principal(principal)) == 0
    group = f"{PRINCIPALS[principal].group_prefix}-t{uuid.uuid4().hex[:6]}"  # its own group
    assert await read(bootstrap, topic, group=group, **as_principal(principal)) == 0
    assert await read(bootstrap, topic, **kafka_options()) > 0  # while the admin can


async def test_a_principal_cannot_join_another_services_consumer_group(bootstrap):
    # The integrator may read the status topic, but not as the registry's group (it would
    # steal the registry's partitions and commit its offsets).
    with pytest.raises(GroupAuthorizationFailedError):
        await read(bootstrap, t.COMMANDS_STATUS, group=f"device-registry.{t.COMMANDS_STATUS}",
                   **as_principal("integrator"))


async def test_each_principal_may_do_what_its_work_needs(bootstrap):
    """The refusals above are ACLs, not broken credentials: the same principals succeed on
    their own topics and groups."""
    await write(bootstrap, t.COMMANDS_REQUESTED, **as_principal("integrator"))
    await sentinel(bootstrap, t.COMMANDS_STATUS)
    assert await read(bootstrap, t.COMMANDS_STATUS, group=f"integrator-{uuid.uuid4().hex[:6]}",
                      **as_principal("integrator")) > 0
    await write(bootstrap, t.COMMANDS_APPLE, **as_principal("permission-service"))
    await write(bootstrap, t.ACCESS, **as_principal("permission-service"))
    await write(bootstrap, t.DEVICES_REPORTS, **as_principal("command-dispatcher"))
    await sentinel(bootstrap, t.COMMANDS_APPLE)
    assert await read(bootstrap, t.COMMANDS_APPLE, **as_principal("command-dispatcher")) > 0
    await write(bootstrap, t.DEVICES, **as_principal("device-registry"))
    await write(bootstrap, t.RPC_AUTH_VERIFY, **as_principal("portal-gateway"))


@pytest.mark.parametrize("name", sorted(registered()))
def test_the_acl_table_grants_what_each_service_registers(name):
    """The table is written by hand; the services' own registrations are the truth. A topic
    or consumer group added to a service without its ACL would be refused in production."""
    service = registered()[name].build_demo().service
    principal = PRINCIPALS[name]
    for registration in service.subs.registrations:
        assert registration.topic in principal.reads, registration
        assert registration.group.startswith(principal.group_prefix), registration
    writable = {*principal.writes, *principal.dead_letters()}
    for topic in service.produced:
        assert topic in writable, topic
    if service.rpc:
        assert service.rpc.reply_topic in principal.reads
    for topic in service.all_topics():  # created at start-up: each needs its Create ACL
        assert topic in {*principal.reads, *writable}, topic


async def test_the_setup_tool_creates_a_principal_that_can_sign_in(bootstrap):
    """`python -m ssp_runtime.kafka_acls` (compose's kafka-setup) makes SCRAM credentials
    itself: a new principal signs in with its password, not with another, and holds no
    right until an ACL grants one."""
    credentials()
    name, password = f"t-{uuid.uuid4().hex[:8]}", uuid.uuid4().hex
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, **kafka_options())
    await admin.start()
    try:
        await set_scram_passwords(admin, {name: password})
    finally:
        await admin.close()
    signed_in = await eventually(lambda: _signs_in(bootstrap, name, password), 20,
                                 what="the new principal signing in")
    assert signed_in
    assert not await _signs_in(bootstrap, name, "not-" + password)
    with pytest.raises(TopicAuthorizationFailedError):
        await write(bootstrap, t.COMMANDS_REQUESTED, **as_principal(name, password))


async def _signs_in(bootstrap: str, name: str, password: str) -> bool:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=5000,
                                **as_principal(name, password))
    try:
        await admin.start()
    except KafkaError:
        return False
    await admin.close()
    return True


def test_the_devstack_keeps_passwords_in_a_private_file_and_each_service_gets_its_own(
        tmp_path):
    path = tmp_path / "kafka" / "credentials.json"
    passwords = load_credentials(path)
    assert path.stat().st_mode & 0o777 == 0o600
    assert load_credentials(path) == passwords  # made once, then kept
    assert len(set(passwords.values())) == len(passwords)  # random, none shared
    env = {CREDENTIALS_ENV: str(path), "KAFKA_SASL_USERNAME": "ssp-admin"}
    assert service_env(env, "portal_gateway") == {
        "KAFKA_SASL_USERNAME": "portal-gateway",
        "KAFKA_SASL_PASSWORD": passwords["portal-gateway"]}
    assert service_env(env, "tests.gateway.registry_process") == {}  # keeps the admin
    properties = broker_properties(passwords)
    assert properties["allow.everyone.if.no.acl.found"] == "false"
    assert properties["super.users"] == "User:ssp-broker;User:ssp-admin"
    assert "ANONYMOUS" not in properties["super.users"]
