"""Login through the real gateway, credentials checked over Kafka request/reply."""

from __future__ import annotations


async def test_login_succeeds_and_sets_a_safe_cookie(world):
    alice = await world.user()
    browser = await world.browser(alice, login=False)
    resp = await browser.login()
    assert resp.status_code == 200
    body = resp.json()
    assert body["user_id"] == alice.user_id and body["org_id"] == world.org_id
    cookie = resp.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie
    assert "secure" not in cookie  # plain HTTP here; set behind HTTPS (cookie_secure=auto)
    me = await browser.http.get("/api/v1/me")
    assert me.status_code == 200 and me.json()["username"] == alice.username


async def test_wrong_password_is_401_problem(world):
    alice = await world.user()
    browser = await world.browser(alice, login=False)
    resp = await browser.login(password="wrong")
    assert resp.status_code == 401
    assert resp.headers["content-type"].startswith("application/problem+json")
    assert resp.json()["code"] == "auth.invalid_credentials"
    assert (await browser.http.get("/api/v1/me")).status_code == 401
