"""A device's activity as its owner and an admin read it (issue 19: "who did what, when,
result", from the audit trail): a real link by the admin (the registry's audit record) and a
real lock by the owner (the permission-service's), in English and German. The owner sees the
admin by name and the link as theirs, never the audit's detail; the admin sees the detail.
Another user's device answers 404.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

import httpx
import pytest

pytest.importorskip("playwright.async_api", reason="the playwright Python package is missing")

from playwright.async_api import expect

from tests.browser.demo_org import DemoOrg
from tests.browser.pages import screenshot, settled, sign_in


async def entries_once(api: httpx.AsyncClient, device_id: str,
                       ready: Any) -> list[dict[str, Any]]:
    """The device's activity once `ready(items)` holds (the gateway reads ssp.audit)."""
    deadline = time.monotonic() + 60
    while True:
        resp = await api.get(f"/api/v1/devices/{device_id}/activity")
        assert resp.status_code == 200, resp.text
        items = resp.json()["items"]
        if ready(items):
            return items
        assert time.monotonic() < deadline, f"the activity never got there: {items}"
        await api.get("/api/v1/me")  # a round trip between looks, not a bare sleep


@pytest.fixture(scope="module")
async def vera(portal: DemoOrg) -> dict[str, Any]:
    """A new user; the admin links the spare iPhone to her, she locks it."""
    username = f"vera-{uuid.uuid4().hex[:6]}"
    await portal.create_user(username)
    device = portal.iphones[5].udid  # enrolled, linked to no one (this module's)
    async with portal.api_session("admin") as admin:
        me = (await admin.get("/api/v1/me")).json()
        linked = await admin.put(f"/api/v1/admin/devices/{device}/user",
                                 json={"username": username})
        assert linked.status_code == 202, linked.text
    async with portal.api_session(username) as api:
        await entries_once(api, device, lambda items: any(
            e["action"] == "linked_device" for e in items))
        asked = await api.post(f"/api/v1/devices/{device}/commands",
                               json={"action": "lock", "params": {}})
        assert asked.status_code == 202, asked.text
        lock = asked.json()["command_id"]
        items = await entries_once(api, device, lambda items: any(
            e["command_id"] == lock for e in items))
    return {"username": username, "device": device, "lock": lock,
            "admin_name": me["display_name"] or me["username"],
            "link": next(e["id"] for e in items if e["action"] == "linked_device")}


@pytest.mark.parametrize(("locale", "you", "lock", "linked"), [
    ("en-GB", "You", "Lock", "Linked to you"),
    ("de-DE", "Sie", "Sperren", "Ihnen zugeordnet")])
async def test_the_owner_reads_who_did_what_on_their_device(new_page, portal, vera, locale,
                                                             you, lock, linked):
    page = await new_page(locale)
    await sign_in(page, portal, vera["username"])
    await page.goto(f"/devices/{vera['device']}")
    await settled(page)
    await page.locator(f"a[href='/devices/{vera['device']}/activity']").click()
    mine = page.locator(f"#activity tr[data-command-id='{vera['lock']}']")
    await expect(mine.locator("[data-field=who]")).to_have_text(you)
    await expect(mine.locator("[data-field=what]")).to_have_text(lock)
    await expect(mine.locator("td").first.locator("time")).to_have_count(1)
    await expect(mine.locator("[data-field=result]")).not_to_be_empty()
    link = page.locator(f"#activity tr[data-audit-id='{vera['link']}']")
    await expect(link.locator("[data-field=who]")).to_have_text(vera["admin_name"])
    await expect(link.locator("[data-field=what]")).to_have_text(linked)
    await expect(page.locator("[data-field=detail]")).to_have_count(0)  # admins' wording
    await screenshot(page, f"activity-owner-{locale[:2]}")


async def test_an_admin_reads_the_activity_of_any_device_with_its_detail(new_page, portal,
                                                                         vera):
    page = await new_page()
    await sign_in(page, portal, "admin")
    await page.goto(f"/admin/devices?username={vera['username']}")
    await page.locator(f"tr[data-device-id='{vera['device']}'] [data-field=activity]").click()
    link = page.locator(f"#activity tr[data-audit-id='{vera['link']}']")
    await expect(link.locator("[data-field=who]")).to_have_text("You")
    await expect(link.locator("[data-field=what]")).to_contain_text("Linked to")
    await expect(link.locator("[data-field=detail]")).to_have_text("source=manual")
    mine = page.locator(f"#activity tr[data-command-id='{vera['lock']}']")
    await expect(mine.locator("[data-field=who]")).not_to_have_text("You")
    await expect(mine.locator("[data-field=detail]")).to_contain_text("lock (portal)")
    await screenshot(page, "activity-admin-en")


async def test_another_users_device_has_no_activity_for_you(portal, vera):
    async with portal.api_session("bob") as bob:
        for path in (f"/devices/{vera['device']}/activity",
                     f"/api/v1/devices/{vera['device']}/activity"):
            assert (await bob.get(path)).status_code == 404, path
