"""Logout revokes; a disabled or deleted account loses every session."""

from __future__ import annotations

from tests.support.waiting import eventually


async def test_logout_revokes_the_session_server_side(world):
    alice = await world.user()
    b = await world.browser(alice)
    cookie = b.http.cookies.get("ssp_session")
    resp = await b.http.delete("/api/v1/session", headers={"X-CSRF-Token": b.csrf})
    assert resp.status_code == 204
    replay = await world.client_with_session(cookie).get("/api/v1/me")
    assert replay.status_code == 401
    assert replay.json()["code"] == "auth.required"


async def test_login_gives_a_new_session_id_each_time(world):
    alice = await world.user()
    b = await world.browser(alice)
    first = b.http.cookies.get("ssp_session")
    assert (await b.login()).status_code == 200
    second = b.http.cookies.get("ssp_session")
    assert first != second
    stale = await world.client_with_session(first).get("/api/v1/me")
    assert stale.status_code == 401


async def test_disabled_account_loses_all_sessions(world):
    alice = await world.user(version=1)
    phone_browser = await world.browser(alice)
    laptop_browser = await world.browser(alice)
    await world.knows_access(phone_browser, user_id=alice.user_id)
    await world.publish_access(alice, version=2, enabled=False)

    async def all_revoked():
        codes = [(await b.http.get("/api/v1/me")).status_code
                 for b in (phone_browser, laptop_browser)]
        return codes == [401, 401]

    assert await eventually(all_revoked, timeout_s=20, what="sessions revoked")
    # Even if a verifier said yes, the gateway knows the account is disabled.
    again = await world.browser(alice, login=False)
    assert (await again.login()).status_code == 200  # the test responder does not know
    assert (await again.http.get("/api/v1/me")).status_code == 401


async def test_deleted_account_loses_sessions(world):
    alice = await world.user()
    b = await world.browser(alice)
    await world.knows_access(b, user_id=alice.user_id)
    await world.publish_access(alice, version=2, deleted=True)

    async def revoked():
        return (await b.http.get("/api/v1/me")).status_code == 401

    assert await eventually(revoked, timeout_s=20, what="session revoked")
