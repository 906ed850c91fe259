"""wipe and reset_passcode: step-up within 5 minutes AND a single-use confirmation token."""

from __future__ import annotations

from ssp_contracts.topics import COMMANDS_REQUESTED

from tests.support.kafka import Tail, json_of


async def _ready(world):
    return await world.owner_with_phone()


async def _confirmation(b, device_id: str, action: str = "wipe") -> str:
    resp = await b.post(f"/api/v1/devices/{device_id}/commands/confirmations", {"action": action})
    assert resp.status_code == 201, resp.text
    return resp.json()["confirmation_token"]


async def test_wipe_without_step_up_is_refused(world):
    _, phone, b = await _ready(world)
    token = await _confirmation(b, phone.device_id)
    resp = await b.command(phone.device_id, "wipe", confirmation_token=token)
    assert resp.status_code == 403 and resp.json()["code"] == "step_up.required"


async def test_step_up_rotates_the_session_and_allows_one_wipe(world, bootstrap):
    _, phone, b = await _ready(world)
    old_cookie = b.http.cookies.get("ssp_session")
    bad = await b.post("/api/v1/session/reauth", {"password": "wrong"})
    assert bad.status_code == 403 and bad.json()["code"] == "auth.reauth_failed"
    ok = await b.post("/api/v1/session/reauth", {"password": b.account.password})
    assert ok.status_code == 200, ok.text
    assert b.http.cookies.get("ssp_session") not in (None, old_cookie)
    stale = await world.client_with_session(old_cookie).get("/api/v1/me")
    assert stale.status_code == 401  # the old id is gone

    missing = await b.command(phone.device_id, "wipe")
    assert missing.status_code == 403 and missing.json()["code"] == "confirmation.required"
    token = await _confirmation(b, phone.device_id)
    async with Tail(bootstrap, COMMANDS_REQUESTED) as tail:
        resp = await b.command(phone.device_id, "wipe", confirmation_token=token)
        assert resp.status_code == 202, resp.text
        [record] = await tail.wait_for(lambda r: r.key == phone.device_id.encode())
    assert json_of(record)["action"] == "wipe"
    assert "confirmation_token" not in json_of(record)


async def test_confirmation_is_single_use_and_bound_to_device_and_action(world):
    alice, phone, b = await _ready(world)
    other = await world.device(alice)
    await world.sees_device(b, other.device_id)
    assert (await b.post("/api/v1/session/reauth", {"password": b.account.password})).is_success

    wipe_token = await _confirmation(b, phone.device_id, "wipe")
    for device_id, action in ((other.device_id, "wipe"), (phone.device_id, "reset_passcode")):
        resp = await b.command(device_id, action, confirmation_token=wipe_token)
        assert resp.status_code == 403 and resp.json()["code"] == "confirmation.invalid"
    resp = await b.command(phone.device_id, "wipe", confirmation_token="made-up")
    assert resp.status_code == 403 and resp.json()["code"] == "confirmation.invalid"

    token = await _confirmation(b, phone.device_id, "reset_passcode")
    first = await b.command(phone.device_id, "reset_passcode", confirmation_token=token)
    assert first.status_code == 202
    reused = await b.command(phone.device_id, "reset_passcode", confirmation_token=token)
    assert reused.status_code in (403, 409)  # spent, and the first one is still pending
    assert reused.json()["code"] in ("confirmation.invalid", "command.pending")

    # Another user cannot spend Alice's confirmation, not even on a device of their own.
    bob = await world.user()
    bobs = await world.device(bob)
    bb = await world.browser(bob)
    await world.sees_device(bb, bobs.device_id)
    assert (await bb.post("/api/v1/session/reauth", {"password": bob.password})).is_success
    stolen = await _confirmation(b, phone.device_id, "wipe")
    resp = await bb.command(bobs.device_id, "wipe", confirmation_token=stolen)
    assert resp.status_code == 403 and resp.json()["code"] == "confirmation.invalid"


async def test_confirmation_only_for_destructive_actions(world):
    _, phone, b = await _ready(world)
    resp = await b.post(f"/api/v1/devices/{phone.device_id}/commands/confirmations",
                        {"action": "lock"})
    assert resp.status_code == 403 and resp.json()["code"] == "confirmation.not_needed"
