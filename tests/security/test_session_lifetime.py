"""Session fixation, idle and absolute expiry, on the in-process gateway whose clock the test
moves (30 minutes idle and 12 hours absolute, never waited for). Logout revocation and the
disabled account's sessions are in tests/gateway/test_sessions.py."""

from __future__ import annotations

from tests.gateway.portal_world import World
from tests.security.conftest import Clock


async def test_a_planted_session_id_is_replaced_at_login(local_world: World):
    attacker = await local_world.browser(await local_world.user())
    planted = attacker.http.cookies.get("ssp_session")
    victim_account = await local_world.user()
    victim = await local_world.browser(victim_account, login=False)
    victim.http.cookies.set("ssp_session", planted or "", domain="gateway.test")
    assert (await victim.login()).status_code == 200
    issued = victim.http.cookies.get("ssp_session")
    assert issued not in (None, planted)
    me = await victim.http.get("/api/v1/me")
    assert me.json()["user_id"] == victim_account.user_id
    # The planted id does not follow the victim in: whoever holds it is signed out.
    held = await local_world.client_with_session(planted).get("/api/v1/me")
    assert held.status_code == 401 and held.json()["code"] == "auth.required"


async def test_idle_timeout_ends_a_session_and_use_extends_it(local_world: World, clock: Clock):
    b = await local_world.browser(await local_world.user())
    for _ in range(3):  # 87 minutes in all, never 30 idle
        clock.advance(minutes=29)
        assert (await b.http.get("/api/v1/me")).status_code == 200
    clock.advance(minutes=30)
    gone = await b.http.get("/api/v1/me")
    assert gone.status_code == 401 and gone.json()["code"] == "auth.required"
    clock.advance(minutes=-30)  # the session was deleted, not merely judged expired
    assert (await b.http.get("/api/v1/me")).status_code == 401


async def test_absolute_lifetime_ends_even_a_busy_session(local_world: World, clock: Clock):
    b = await local_world.browser(await local_world.user())
    for _ in range(28):  # 11 h 40 min of activity every 25 minutes
        clock.advance(minutes=25)
        assert (await b.http.get("/api/v1/me")).status_code == 200
    clock.advance(minutes=25)  # 12 h 05 min after login
    assert (await b.http.get("/api/v1/me")).status_code == 401


async def test_step_up_rotates_the_id_and_lasts_five_minutes(local_world: World, clock: Clock):
    _, phone, b = await local_world.owner_with_phone()
    before = b.http.cookies.get("ssp_session")
    assert (await b.post("/api/v1/session/reauth", {"password": b.account.password})).is_success
    assert b.http.cookies.get("ssp_session") not in (None, before)
    assert (await local_world.client_with_session(before).get("/api/v1/me")).status_code == 401
    clock.advance(minutes=5, seconds=1)
    confirm = await b.post(f"/api/v1/devices/{phone.device_id}/commands/confirmations",
                           {"action": "wipe"})
    token = confirm.json()["confirmation_token"]
    stale = await b.command(phone.device_id, "wipe", confirmation_token=token)
    assert stale.status_code == 403 and stale.json()["code"] == "step_up.required"
