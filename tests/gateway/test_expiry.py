"""Expiry with short settings, on a gateway started for this test with the `services` fixture:
an expired confirmation is refused, and so is a step-up that is no longer fresh."""

from __future__ import annotations

import asyncio

from tests.gateway.catch_up import wait_until_caught_up
from tests.gateway.portal_world import World


async def test_confirmation_and_step_up_expire(services, run_id, responder, producer,
                                               bootstrap):
    proc = services("portal_gateway", SSP_CONSUMER_GROUP_PREFIX=f"portal-gateway-t{run_id}",
                    SSP_PROJECTIONS_FROM_BEGINNING="false", SSP_CONFIRMATION_S="1",
                    SSP_STEP_UP_S="5", SSP_HEARTBEAT_INTERVAL_S="5")
    await wait_until_caught_up(proc.url, bootstrap, responder)
    world = World(producer, responder, proc.url)
    try:
        _, phone, b = await world.owner_with_phone(stepped_up=True)
        confirm = f"/api/v1/devices/{phone.device_id}/commands/confirmations"
        token = (await b.post(confirm, {"action": "wipe"})).json()["confirmation_token"]
        await asyncio.sleep(1.2)  # the configured lifetime is the thing under test
        expired = await b.command(phone.device_id, "wipe", confirmation_token=token)
        assert expired.status_code == 403 and expired.json()["code"] == "confirmation.invalid"
        token = (await b.post(confirm, {"action": "wipe"})).json()["confirmation_token"]
        await asyncio.sleep(4.0)  # the step-up (5 s) is stale now
        stale = await b.command(phone.device_id, "wipe", confirmation_token=token)
        assert stale.status_code == 403 and stale.json()["code"] == "step_up.required"
    finally:
        await world.close()
