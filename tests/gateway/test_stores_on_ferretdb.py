"""The gateway's stores against the real MongoDB-wire database (FerretDB): atomic single use,
claims under concurrency, version-guarded history, expiry sweeps."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from portal_gateway.domain.confirmations import new_confirmation
from portal_gateway.domain.rate_limits import RateLimit, window_for
from portal_gateway.domain.sessions import SessionPolicy, SessionTimes
from portal_gateway.store.command_claims import Claim
from portal_gateway.store.gateway_stores import GatewayStores
from portal_gateway.store.sessions import StoredSession
from ssp_contracts.commands import CommandRequested, CommandStatusChanged
from ssp_contracts.enums import Action, CommandStatus
from ssp_runtime.mongo import Database

NOW = datetime.now(UTC).replace(microsecond=0)


@pytest.fixture
async def stores(mongo):
    name = f"t{uuid.uuid4().hex[:10]}_gateway_stores"
    # As the service does: FerretDB v1 loses concurrent updates of one document unless this
    # process serialises its writes (ssp_runtime.mongo.Database).
    s = GatewayStores.of(Database(mongo[name], serialize_writes=True))
    await s.create_indexes()
    yield s
    await mongo.drop_database(name)


async def test_a_confirmation_is_spent_exactly_once_under_concurrency(stores):
    _, conf = new_confirmation(user_id="u1", org_id="o", device_id="d1", action=Action.WIPE,
                               now=NOW, ttl=timedelta(minutes=2))
    await stores.confirmations.create(conf)
    results = await asyncio.gather(*(stores.confirmations.consume(
        conf.token_hash, user_id="u1", device_id="d1", action="wipe", now=NOW)
        for _ in range(8)))
    assert results.count(True) == 1
    _, late = new_confirmation(user_id="u1", org_id="o", device_id="d1", action=Action.WIPE,
                               now=NOW, ttl=timedelta(minutes=2))
    await stores.confirmations.create(late)
    assert not await stores.confirmations.consume(
        late.token_hash, user_id="u1", device_id="d1", action="wipe",
        now=NOW + timedelta(minutes=2))
    assert await stores.confirmations.sweep(NOW + timedelta(minutes=3)) == 2


async def test_expired_idempotency_key_can_be_reused(stores):
    old = Claim("c-old", NOW - timedelta(seconds=1), "d1", "lock")
    assert await stores.claims.claim_key("u1", "k", old, NOW - timedelta(hours=1)) is None
    new = Claim("c-new", NOW + timedelta(hours=1), "d1", "lock")
    assert await stores.claims.claim_key("u1", "k", new, NOW) is None
    again = await stores.claims.claim_key("u1", "k", Claim("c-3", NOW, "d1", "lock"), NOW)
    assert again is not None and again.command_id == "c-new"


def _status(status: str, version: int, command_id: str = "c1", device_id: str = "d1",
            action: Action = Action.LOCK) -> CommandStatusChanged:
    return CommandStatusChanged(org_id="o", command_id=command_id, device_id=device_id,
                                action=action, status=CommandStatus(status), version=version,
                                requested_by="u1", occurred_at=NOW + timedelta(seconds=version))


async def test_command_status_is_version_guarded_and_history_deduplicated(stores):
    await stores.commands.apply(_status("sent", 3))
    await stores.commands.record_requested(CommandRequested(
        org_id="o", command_id="c1", device_id="d1", action=Action.LOCK, requested_by="u1",
        requested_at=NOW))  # arrives late: must not win over version 3
    await stores.commands.apply(_status("authorized", 2))
    await stores.commands.apply(_status("sent", 3))  # redelivery
    command = await stores.commands.get("o", "c1")
    assert command is not None and command.status is CommandStatus.SENT
    assert [s.status.value for s in command.history] == ["requested", "authorized", "sent"]
    assert await stores.commands.get("other-org", "c1") is None


async def test_a_batch_of_statuses_lands_as_applied_one_by_one_and_replays_to_nothing(stores):
    """What the projection consumes a batch at a time: out of order, several commands of one
    device, one finished inside the batch, a status it already had."""
    await stores.commands.apply(_status("authorized", 2, "c1"))
    batch = [_status("queued", 3, "c1"), _status("authorized", 2, "c2", action=Action.LOCATE),
             _status("acknowledged", 5, "c1"), _status("sent", 4, "c1"),
             _status("authorized", 2, "c1"), _status("queued", 3, "c3", device_id="d2")]
    applied = await stores.commands.apply_many(batch)
    assert sorted((e.command_id, e.version) for e in applied) == [("c1", 5), ("c2", 2), ("c3", 3)]
    c1 = await stores.commands.get("o", "c1")
    assert c1 is not None and c1.status is CommandStatus.ACKNOWLEDGED
    assert [s.status.value for s in c1.history] == [
        "authorized", "queued", "sent", "acknowledged"]
    c2, c3 = await stores.commands.get("o", "c2"), await stores.commands.get("o", "c3")
    assert c2 is not None and (c2.action, c2.status) == (Action.LOCATE, CommandStatus.AUTHORIZED)
    assert c3 is not None and (c3.device_id, c3.status) == ("d2", CommandStatus.QUEUED)
    assert await stores.commands.apply_many(batch) == []  # a redelivered batch
    again = await stores.commands.get("o", "c1")
    assert again is not None and again.history == c1.history


async def test_sweep_removes_idle_and_too_old_sessions(stores):
    policy = SessionPolicy()

    def session(created: datetime, seen: datetime) -> StoredSession:
        return StoredSession(uuid.uuid4().hex, "u1", "o", "alice", None, "en", (), "csrf",
                             SessionTimes(created, seen))

    keep = session(NOW - timedelta(hours=1), NOW - timedelta(minutes=5))
    idle = session(NOW - timedelta(hours=1), NOW - timedelta(minutes=31))
    old = session(NOW - timedelta(hours=13), NOW - timedelta(minutes=1))
    for s in (keep, idle, old):
        await stores.sessions.create(s)
    rule = RateLimit("x", 1, timedelta(minutes=1))
    assert await stores.rate_windows.hit(window_for(rule, "u1", NOW)) == 1
    assert await stores.rate_windows.hit(window_for(rule, "u1", NOW)) == 2
    removed = await stores.sweep_expired(policy, NOW + timedelta(minutes=2))
    assert removed == 3  # two sessions and the finished window
    assert await stores.sessions.find(keep.session_hash) is not None
    assert await stores.sessions.find(idle.session_hash) is None
