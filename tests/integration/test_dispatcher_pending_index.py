"""The dispatcher's per-device list of pending commands on the real database: a device's
queued and sent commands come back oldest first, an ended command leaves the list, an id
listed without its command is ignored but kept, and commands stored before the list existed
are found after the start-up backfill."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from command_dispatcher.lifecycle import accept, to_status_event, transition
from command_dispatcher.store.commands import CommandStore
from prometheus_client import CollectorRegistry
from ssp_contracts.commands import CommandAuthorized, CommandParams
from ssp_contracts.enums import Action, CommandStatus, ManagementMode, Platform
from ssp_runtime.kafka import EventPublisher
from ssp_runtime.mongo import Database
from ssp_runtime.outbox import OutboxRelay

T0 = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)


def authorized(command_id: str, device_id: str, at: datetime) -> CommandAuthorized:
    return CommandAuthorized(
        org_id="acme", command_id=command_id, device_id=device_id, action=Action.LOCK,
        requested_by="u-1", requested_at=at, platform=Platform.IOS,
        management_mode=ManagementMode.IOS_SUPERVISED, authorized_at=at)


@pytest.fixture(params=["serialized", "plain"])
async def store(request, mongo, bootstrap, run_id):
    name = f"t{run_id}_pending"
    raw = mongo[name]
    db = Database(raw, serialize_writes=request.param == "serialized")
    publisher = EventPublisher(bootstrap, "tests", "pending-index-test")  # never started:
    relay = OutboxRelay(db, publisher, CollectorRegistry())  # nothing is published here
    yield CommandStore(db, relay, "tests")
    await mongo.drop_database(name)


async def queue(store: CommandStore, command_id: str, device_id: str, at: datetime):
    cmd = accept(authorized(command_id, device_id, at), at)
    assert await store.insert(cmd, CommandParams(), Platform.IOS,
                              ManagementMode.IOS_SUPERVISED, [to_status_event(cmd, at)])
    return cmd


async def pending_ids(store: CommandStore, device_id: str) -> list[str]:
    return [cmd.command_id for cmd, _ in await store.pending_for_device(device_id)]


async def test_pending_commands_oldest_first_and_ended_ones_leave(store):
    later = await queue(store, "c-later", "dev-1", T0 + timedelta(seconds=5))
    first = await queue(store, "c-first", "dev-1", T0)
    await queue(store, "c-other", "dev-2", T0)
    assert await pending_ids(store, "dev-1") == ["c-first", "c-later"]
    sent = transition(first, CommandStatus.SENT, T0 + timedelta(seconds=6))
    assert await store.save(first, sent)
    assert await pending_ids(store, "dev-1") == ["c-first", "c-later"]  # sent is pending
    done = transition(sent, CommandStatus.ACKNOWLEDGED, T0 + timedelta(seconds=7))
    assert await store.save(sent, done)
    assert await pending_ids(store, "dev-1") == ["c-later"]
    assert await store.pending.ids("dev-1") == [later.command_id]
    assert await pending_ids(store, "dev-2") == ["c-other"]
    assert await pending_ids(store, "dev-3") == []


async def test_a_listed_id_without_its_command_is_ignored_but_kept(store):
    await queue(store, "c-1", "dev-1", T0)
    await store.pending.add("dev-1", "c-being-stored")  # as insert() does, before storing
    assert await pending_ids(store, "dev-1") == ["c-1"]
    assert set(await store.pending.ids("dev-1")) == {"c-1", "c-being-stored"}


async def test_an_ended_command_still_listed_is_dropped_on_read(store):
    cmd = await queue(store, "c-1", "dev-1", T0)
    expired = transition(cmd, CommandStatus.EXPIRED, T0 + timedelta(minutes=20))
    await store.col.update_one({"_id": "c-1"}, {"$set": {"status": expired.status.value}})
    assert await store.pending.ids("dev-1") == ["c-1"]  # as after a crash before removal
    assert await pending_ids(store, "dev-1") == []
    assert await store.pending.ids("dev-1") == []


async def test_the_backfill_lists_commands_stored_before_the_index(store):
    await queue(store, "c-old", "dev-1", T0)
    await store.pending.col.delete_many({})  # as on a database from before the index
    assert await pending_ids(store, "dev-1") == []
    assert await store.backfill_pending_index() == 1
    assert await pending_ids(store, "dev-1") == ["c-old"]
