"""The server-rendered portal: login form, my devices, device page actions, languages."""

from __future__ import annotations

import html
import re

import httpx
from ssp_contracts.topics import COMMANDS_REQUESTED

from tests.support.kafka import Tail, json_of


def hidden(page: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', page)
    assert match, f"no hidden field {name}"
    return html.unescape(match.group(1))


async def page_login(world, account) -> httpx.AsyncClient:
    http = httpx.AsyncClient(base_url=world.base_url, timeout=30)
    world.clients.append(http)
    form = await http.get("/login")
    assert form.status_code == 200
    resp = await http.post("/login", data={
        "username": account.username, "password": account.password, "org": world.org_id,
        "csrf_token": hidden(form.text, "csrf_token"), "next": "/devices"})
    assert resp.status_code == 303 and resp.headers["location"] == "/devices", resp.text
    return http


async def test_pages_need_a_session_and_login_needs_its_form_token(world):
    http = httpx.AsyncClient(base_url=world.base_url, timeout=30)
    world.clients.append(http)
    resp = await http.get("/devices")
    assert resp.status_code == 303 and resp.headers["location"] == "/login?next=/devices"
    alice = await world.user()
    forged = await http.post("/login", data={"username": alice.username,
                                             "password": alice.password, "org": world.org_id})
    assert forged.status_code == 403 and "ssp_session" not in http.cookies
    wrong = await http.get("/login")
    resp = await http.post("/login", data={"username": alice.username, "password": "no",
                                           "org": world.org_id,
                                           "csrf_token": hidden(wrong.text, "csrf_token")})
    assert resp.status_code == 401 and "The username or password is wrong." in resp.text


async def test_my_devices_in_english_and_german(world):
    alice = await world.user()
    phone = await world.device(alice, name="Alice iPhone", lost_mode=True)
    http = await page_login(world, alice)
    await world.sees_device(await world.browser(alice), phone.device_id)
    page = await http.get("/devices", headers={"Accept-Language": "de-DE,de;q=0.9,en;q=0.5"})
    assert page.status_code == 200
    assert "Meine Geräte" in page.text and "Alice iPhone" in page.text
    assert "Verloren-Modus" in page.text and phone.identifiers.serial_number in page.text
    assert '<html lang="de">' in page.text
    switched = await http.post("/language", data={"locale": "en", "next": "/devices"})
    assert switched.status_code == 303 and http.cookies.get("ssp_locale") == "en"
    page = await http.get("/devices", headers={"Accept-Language": "de"})
    assert "My devices" in page.text and "Lost mode" in page.text  # the cookie wins


async def test_no_permission_and_no_device_messages(world):
    nobody = await world.user(permissions=[])
    http = await page_login(world, nobody)
    page = await http.get("/devices")
    assert "no permission to use the self-service portal" in page.text
    assert "No device is linked to your account yet" in page.text


async def test_device_page_runs_an_action_with_csrf(world, bootstrap):
    alice = await world.user(permissions=["ssp.view", "ssp.lock"])
    phone = await world.device(alice, name="Alice iPhone")
    http = await page_login(world, alice)
    await world.sees_device(await world.browser(alice), phone.device_id)
    page = await http.get(f"/devices/{phone.device_id}")
    assert page.status_code == 200
    assert 'value="lock"' in page.text and 'value="wipe"' not in page.text
    assert "Your account is not allowed to do this." in page.text
    form = {"action": "lock", "idempotency_key": hidden(page.text, "idempotency_key")}
    refused = await http.post(f"/devices/{phone.device_id}/actions", data=form)
    assert refused.status_code == 403
    async with Tail(bootstrap, COMMANDS_REQUESTED) as tail:
        resp = await http.post(f"/devices/{phone.device_id}/actions",
                               data={**form, "csrf_token": hidden(page.text, "csrf_token")})
        assert resp.status_code == 303
        assert resp.headers["location"].endswith("?notice=command_requested")
        [record] = await tail.wait_for(lambda r: r.key == phone.device_id.encode())
    assert json_of(record)["action"] == "lock"
    after = await http.get(resp.headers["location"])
    assert "The command was sent." in after.text
    assert re.search(r'<td data-field="status">requested</td>', after.text)
    other = await world.user()
    assert (await (await page_login(world, other)).get(f"/devices/{phone.device_id}")
            ).status_code == 404


async def test_wipe_from_the_page_needs_the_typed_name_and_password(world, bootstrap):
    alice = await world.user()
    phone = await world.device(alice, name="Alice iPhone")
    http = await page_login(world, alice)
    await world.sees_device(await world.browser(alice), phone.device_id)
    page = await http.get(f"/devices/{phone.device_id}")
    assert 'data-confirm-name="Alice iPhone"' in page.text
    form = {"action": "wipe", "csrf_token": hidden(page.text, "csrf_token"),
            "idempotency_key": "k-" + phone.device_id, "password": alice.password}
    url = f"/devices/{phone.device_id}/actions"
    wrong = await http.post(url, data={**form, "typed_name": "Bob's phone"})
    assert wrong.status_code == 422 and "does not match" in wrong.text
    bad_pw = await http.post(url, data={**form, "typed_name": "alice iphone ",
                                        "password": "nope"})
    assert bad_pw.status_code == 403 and "The password is wrong." in bad_pw.text
    async with Tail(bootstrap, COMMANDS_REQUESTED) as tail:
        resp = await http.post(url, data={**form, "typed_name": "alice iphone"})
        assert resp.status_code == 303, resp.text
        [record] = await tail.wait_for(lambda r: r.key == phone.device_id.encode())
    assert json_of(record)["action"] == "wipe"
    assert (await http.get("/devices")).status_code == 200  # the rotated session cookie works


async def test_the_lock_and_wipe_dialogs_ask_for_a_pin_only_where_the_mac_needs_one(world):
    """Apple's schema marks `PIN` "presence: optional" for DeviceLock and EraseDevice ("The
    six-character PIN for Find My"); Macs with Apple silicon or the T2 chip do without, an
    older Intel Mac sets a firmware lock only that PIN opens (`policy.needs_pin`)."""
    alice = await world.user()
    m1 = await world.device(alice, mode="macos", model="MacBook Air (MacBookAir10,1)")
    old = await world.device(alice, mode="macos", model="MacBookPro14,1")
    http = await page_login(world, alice)
    browser = await world.browser(alice)
    for mac in (m1, old):
        await world.sees_device(browser, mac.device_id)
    m1_page = (await http.get(f"/devices/{m1.device_id}")).text
    old_page = (await http.get(f"/devices/{old.device_id}")).text
    for action in ("lock", "wipe"):
        assert f'id="{action}-pin"' not in m1_page
        assert re.search(rf'<input id="{action}-pin" name="pin"[^>]* required', old_page)


async def test_pages_send_security_headers_and_own_script_only(world):
    http = httpx.AsyncClient(base_url=world.base_url, timeout=30)
    world.clients.append(http)
    page = await http.get("/login")
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert page.headers["x-content-type-options"] == "nosniff"
    scripts = re.findall(r'<script[^>]*src="([^"]+)"', page.text)
    assert scripts == ["/static/portal.js"]
    assert (await http.get("/static/portal.js")).status_code == 200
