"""The command path at the gateway, with in-memory stores: publish first, then record."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from aiokafka.errors import KafkaTimeoutError
from portal_gateway.command_requests import CommandDesk, CommandRequest
from portal_gateway.domain.access import Caller
from portal_gateway.domain.errors import Conflict, Forbidden, RateLimited, Unavailable
from portal_gateway.policies import command_policy, wipe_breaker_policy
from portal_gateway.settings import Settings
from portal_gateway.store.gateway_stores import GatewayStores
from portal_gateway.wipe_breaker import WipeBreaker
from ssp_contracts.cloudevents import to_value
from ssp_contracts.commands import CommandRequested
from ssp_contracts.enums import Action, Permission
from ssp_contracts.topics import COMMANDS_REQUESTED
from ssp_runtime.signing import (
    PORTAL_REQUESTS,
    Signer,
    demo_private_key,
    verifier_from_settings,
)

from . import in_memory_stores as mem
from .snapshots import snapshot

ALICE = Caller(user_id="u-alice", org_id="acme", username="alice",
               permissions=frozenset(Permission), session_hash="h", csrf_token="c")


def desk(publisher: mem.Publisher | None = None) -> CommandDesk:
    stores = GatewayStores(devices=None, access=None, commands=mem.Commands(),  # type: ignore
                           claims=mem.Claims(), sessions=None,  # type: ignore[arg-type]
                           confirmations=mem.Confirmations(),  # type: ignore[arg-type]
                           rate_windows=mem.RateWindows(),  # type: ignore[arg-type]
                           passcodes=None,  # type: ignore[arg-type]
                           wipe_breaker=mem.WipeBreaker(),  # type: ignore[arg-type]
                           helpdesk=None, labels=None,  # type: ignore[arg-type]
                           activity=None)  # type: ignore[arg-type]
    return CommandDesk(stores, publisher or mem.Publisher(), command_policy(Settings()),
                       WipeBreaker(stores.wipe_breaker, wipe_breaker_policy(Settings())),
                       Signer(demo_private_key(PORTAL_REQUESTS)))


async def test_the_published_request_carries_the_portals_signature(now):
    pub = mem.Publisher()
    await desk(pub).request(ALICE, snapshot(), CommandRequest(action=Action.LOCK), None, now)
    [(_, event, _)] = pub.sent
    verifier = verifier_from_settings([], "V", demo=True, purpose=PORTAL_REQUESTS)
    assert verifier.verify(CommandRequested.event_type, to_value(event), pub.headers[0]) == \
        Signer(demo_private_key(PORTAL_REQUESTS)).key_id


async def test_accepted_command_is_published_keyed_by_device_then_recorded(now):
    pub = mem.Publisher()
    d = desk(pub)
    accepted = await d.request(ALICE, snapshot(), CommandRequest(action=Action.LOCK), None, now)
    [(topic, event, key)] = pub.sent
    assert topic == COMMANDS_REQUESTED and key == "dev-1"
    assert event.command_id == accepted.command_id and event.requested_by == "u-alice"
    assert [e.command_id for e in d.stores.commands.recorded] == [accepted.command_id]


async def test_kafka_down_is_503_and_leaves_nothing_behind(now):
    d = desk(mem.Publisher(fail_with=KafkaTimeoutError()))
    with pytest.raises(Unavailable) as err:
        await d.request(ALICE, snapshot(), CommandRequest(action=Action.LOCK), "key-1", now)
    assert err.value.status == 503 and err.value.code == "broker.unavailable"
    assert d.stores.commands.recorded == []
    assert d.pending.holder("dev-1", Action.LOCK, now) is None and d.stores.claims.keys == {}
    d.publisher.fail_with = None  # the broker is back: the same request now works
    accepted = await d.request(ALICE, snapshot(), CommandRequest(action=Action.LOCK), "key-1",
                               now)
    assert d.stores.claims.keys["u-alice:key-1"].command_id == accepted.command_id


async def test_idempotency_key_replays_without_a_second_event(now):
    pub = mem.Publisher()
    d = desk(pub)
    req = CommandRequest(action=Action.LOCK)
    first = await d.request(ALICE, snapshot(), req, "k", now)
    again = await d.request(ALICE, snapshot(), req, "k", now)
    assert again.command_id == first.command_id and again.replayed
    assert len(pub.sent) == 1


async def test_second_identical_action_is_409_naming_the_pending_one(now):
    d = desk()
    first = await d.request(ALICE, snapshot(), CommandRequest(action=Action.LOCK), None, now)
    with pytest.raises(Conflict) as err:
        await d.request(ALICE, snapshot(), CommandRequest(action=Action.LOCK), None, now)
    assert err.value.extra["command_id"] == first.command_id


async def test_wipe_needs_fresh_step_up_and_a_matching_confirmation(now):
    d = desk()
    device = snapshot()
    wipe = CommandRequest(action=Action.WIPE)
    with pytest.raises(Forbidden, match=r"step_up\.required"):
        await d.request(ALICE, device, wipe, None, now)
    fresh = replace(ALICE, reauthenticated_at=now - timedelta(minutes=1))
    with pytest.raises(Forbidden, match=r"confirmation\.required"):
        await d.request(fresh, device, wipe, None, now)
    token, expires = await d.issue_confirmation(fresh, device, Action.WIPE, now)
    assert expires == now + timedelta(minutes=2)
    other_device = snapshot(device_id="dev-2")
    with pytest.raises(Forbidden, match=r"confirmation\.invalid"):
        await d.request(fresh, other_device, wipe.model_copy(
            update={"confirmation_token": token}), None, now)
    assert d.pending.holder("dev-1", Action.WIPE, now) is None  # the refused one let go
    ok = await d.request(fresh, device, wipe.model_copy(update={"confirmation_token": token}),
                         None, now)
    assert ok.command_id


async def test_per_device_rate_limit(now):
    d = desk()
    d.policy = replace(d.policy, per_device=replace(d.policy.per_device, limit=1))
    await d.request(ALICE, snapshot(), CommandRequest(action=Action.LOCK), None, now)
    with pytest.raises(RateLimited, match=r"rate_limited\.commands\.device"):
        await d.request(ALICE, snapshot(), CommandRequest(action=Action.REFRESH), None, now)
