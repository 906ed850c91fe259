"""Confirmation tokens for wipe and reset_passcode: an expired one is refused (the gateway's
clock moved, not waited for) and refusing publishes nothing. Missing, reused, another device's,
another action's and another user's tokens: tests/gateway/test_destructive_actions.py."""

from __future__ import annotations

from ssp_contracts.topics import COMMANDS_REQUESTED

from tests.gateway.portal_world import World
from tests.security.conftest import Clock
from tests.support.kafka import Tail


async def test_a_token_two_minutes_old_is_refused_and_nothing_is_sent(
        local_world: World, clock: Clock, bootstrap: str):
    alice, phone, b = await local_world.owner_with_phone(stepped_up=True)
    url = f"/api/v1/devices/{phone.device_id}/commands/confirmations"
    async with Tail(bootstrap, COMMANDS_REQUESTED) as tail:
        for action in ("wipe", "reset_passcode"):
            token = (await b.post(url, {"action": action})).json()["confirmation_token"]
            clock.advance(seconds=121)
            late = await b.command(phone.device_id, action, confirmation_token=token)
            assert late.status_code == 403 and late.json()["code"] == "confirmation.invalid"
            assert (await b.post("/api/v1/session/reauth",
                                 {"password": alice.password})).is_success
        await tail.poll(1.0)
        assert [r for r in tail.seen if r.key == phone.device_id.encode()] == []
