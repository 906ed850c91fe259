"""Enrollment reservations in the device-registry on the real broker and database: made over
request/reply, applied when the device enrolls, ignored when expired, reported on conflict."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from ssp_contracts import LinkRequested
from ssp_contracts.enums import LinkSource
from ssp_contracts.reservations import ReservationReply, ReservationRequest
from ssp_contracts.topics import AUDIT, DEVICES_REPORTS, LINKS_REQUESTS, RPC_REGISTRY, rpc_replies
from ssp_runtime.kafka import EventPublisher, ensure_topics
from ssp_runtime.rpc import RpcClient

from tests.conftest import database_name
from tests.integration.registry_world import RegistryWorld, enrolled, registry_world
from tests.support.kafka import Producer, Tail, json_of


@pytest.fixture
async def rpc(bootstrap: str) -> AsyncIterator[RpcClient]:
    publisher = EventPublisher(bootstrap, source="tests", client_id="tests-reservations")
    reply_topic = rpc_replies(f"tests-{uuid.uuid4().hex[:8]}")
    await ensure_topics(bootstrap, [reply_topic, RPC_REGISTRY])
    await publisher.start()
    client = RpcClient(bootstrap, publisher, reply_topic, timeout_s=20)
    await client.start()
    yield client
    await client.stop()
    await publisher.stop()


async def ask(rpc: RpcClient, world: RegistryWorld, op: str, **fields) -> ReservationReply:
    return await rpc.request(RPC_REGISTRY, ReservationRequest(
        org_id=world.org_id, request_id=str(uuid.uuid4()), actor_user_id="admin-1", op=op,
        **fields), ReservationReply)


async def test_reservation_links_the_device_when_it_enrolls(services, bootstrap, mongo,
                                                            run_id, rpc):
    services("device_registry")
    async with Producer(bootstrap) as producer, Tail(bootstrap, AUDIT) as audit:
        world, snaps = await registry_world(producer, bootstrap, mongo,
                                            database_name(run_id, "device_registry"))
        alice = await world.user("alice")
        await world.users_known(alice)
        made = await ask(rpc, world, "create", kind="serial_number", value="ab 12 cd",
                         username="Alice")
        assert made.status == 201, made
        [view] = made.reservations
        assert (view.value, view.user_id, view.state) == ("AB12CD", alice, "open")
        again = await ask(rpc, world, "create", kind="serial_number", value="AB12CD",
                          username="alice")
        assert (again.status, again.code) == (409, "reservation.exists")
        nobody = await ask(rpc, world, "create", kind="imei", value="35-209900-176148-1",
                           username="nobody")
        assert (nobody.status, nobody.code) == (404, "user.not_found")

        device_id = await world.device("ab12cd")
        snap = await world.snapshot(device_id, owner__user_id=alice)
        assert (snap["owner"]["source"], snap["owner"]["username"]) == ("reservation", "alice")
        [record] = await audit.wait_for(lambda r: json_of(r).get("device_id") == device_id)
        assert (json_of(record)["action"], json_of(record)["outcome"]) == ("linked_device",
                                                                          "succeeded")
        [listed] = (await ask(rpc, world, "list")).reservations
        assert (listed.state, listed.device_id) == ("consumed", device_id)
        assert (await ask(rpc, world, "delete", reservation_id=listed.reservation_id)).ok
        assert (await ask(rpc, world, "list")).reservations == []
        gone = await ask(rpc, world, "delete", reservation_id=listed.reservation_id)
        assert (gone.status, gone.code) == (404, "reservation.not_found")
        await snaps.__aexit__()


async def test_expired_reservations_are_ignored_and_conflicts_reported(services, bootstrap,
                                                                       mongo, run_id, rpc):
    services("device_registry")
    async with Producer(bootstrap) as producer, Tail(bootstrap, AUDIT) as audit:
        world, snaps = await registry_world(producer, bootstrap, mongo,
                                            database_name(run_id, "device_registry"))
        alice, bob = await world.user("alice"), await world.user("bob")
        await world.users_known(alice, bob)
        past = await ask(rpc, world, "create", kind="imei", value="352099001761481",
                         username="alice", expires_at=datetime.now(UTC) - timedelta(hours=1))
        assert (past.status, past.code) == (422, "reservation.expires_in_past")

        # Expired by the time the device enrolls: not applied.
        soon = datetime.now(UTC) + timedelta(seconds=1.5)
        made = await ask(rpc, world, "create", kind="imei", value="35 209900 176148 1",
                         username="alice", expires_at=soon)
        assert made.status == 201, made
        await asyncio.sleep(max(0.0, (soon - datetime.now(UTC)).total_seconds()) + 0.2)
        late = await world.device("LATE1", imei="352099001761481")
        assert (await world.snapshot(late))["owner"] is None
        [expired] = (await ask(rpc, world, "list")).reservations
        assert expired.state == "expired"

        # Reserved for alice, but linked to bob on purpose meanwhile: a conflict, not applied.
        device_id = await world.device("CONFLICT1")
        await world.snapshot(device_id)
        await producer.send_event(LINKS_REQUESTS, LinkRequested(
            org_id=world.org_id, request_id=str(uuid.uuid4()), device_id=device_id,
            user_id=bob, source=LinkSource.MANUAL, requested_by="admin-1"))
        await world.snapshot(device_id, owner__user_id=bob)
        token = await ask(rpc, world, "create", kind="enrollment_token", value="tok-42",
                          username="alice")
        assert token.status == 201
        await producer.send_event(DEVICES_REPORTS, enrolled(
            world.org_id, device_id, serial_number="CONFLICT1", enrollment_token="tok-42"))
        [rejected] = await audit.wait_for(lambda r: json_of(r).get("device_id") == device_id
                                          and json_of(r)["outcome"] == "rejected")
        assert f"linked to user {bob}" in json_of(rejected)["detail"]
        snap = await world.snapshot(device_id, count=3)
        assert snap["owner"]["user_id"] == bob
        listed = {r.value: r for r in (await ask(rpc, world, "list")).reservations}
        assert listed["tok-42"].state == "open" and "linked to user" in listed["tok-42"].problem
        await snaps.__aexit__()


async def test_a_reservation_links_only_a_trusted_identity(services, bootstrap, mongo, run_id,
                                                         rpc):
    """Issue 17, finding 2: "a fake device whose Authenticate carries a reserved serial was
    auto-linked to the reserved user"; What to build: "reservations link only trusted
    identities". An enrollment whose identity nobody vouches for stays unlinked and leaves the
    reservation open."""
    services("device_registry")
    async with Producer(bootstrap) as producer:
        world, snaps = await registry_world(producer, bootstrap, mongo,
                                            database_name(run_id, "device_registry"))
        alice = await world.user("alice")
        await world.users_known(alice)
        made = await ask(rpc, world, "create", kind="serial_number", value="FAKE000001",
                         username="alice")
        assert made.status == 201, made
        device_id = f"dev-{uuid.uuid4().hex[:10]}"
        await producer.send_event(DEVICES_REPORTS, enrolled(
            world.org_id, device_id, serial_number="FAKE000001").model_copy(
                update={"identity_trusted": False}))
        assert (await world.snapshot(device_id))["owner"] is None
        [still] = (await ask(rpc, world, "list")).reservations
        assert still.state == "open"
        await snaps.__aexit__()
