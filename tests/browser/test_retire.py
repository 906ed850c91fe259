"""Remove from management (retire): only for whom an admin granted `ssp.retire`, confirmed with
the typed device name and the password like a wipe, and the device ends "no longer managed"
with its data kept."""

from __future__ import annotations

import time
import uuid

import pytest

pytest.importorskip("playwright.async_api", reason="the playwright Python package is missing")

from playwright.async_api import expect

from tests.browser.demo_org import DemoOrg
from tests.browser.pages import (
    LIVE_TIMEOUT_MS,
    confirm_destructive,
    history_row,
    open_device,
    screenshot,
    sign_in,
)

REMOVE = "Remove from management"


async def _user_who_may_retire(portal: DemoOrg, device_id: str) -> str:
    """An admin makes a custom role with `ssp.retire` (no built-in template has it), gives it
    to a new user and links `device_id` to them; returns the username."""
    role_name = f"Remove devices {uuid.uuid4().hex[:6]}"
    username = f"rita-{uuid.uuid4().hex[:6]}"
    async with portal.api_session("admin") as admin:
        role = await admin.post("/api/v1/admin/roles", json={
            "name": role_name, "permissions": ["ssp.view", "ssp.retire"]})
        assert role.status_code == 201, role.text
    await portal.create_user(username, role_name)
    deadline = time.monotonic() + 60
    async with portal.api_session("admin") as admin, portal.api_session(username) as user:
        # The registry learns of the new account from ssp.access: until then it refuses the
        # link, so it is asked again until the device shows in the user's list (without a
        # linked device the list answers 403 portal.no_access).
        while not any(d["id"] == device_id
                      for d in (await user.get("/api/v1/devices")).json().get("items", [])):
            assert time.monotonic() < deadline, "the device was never linked"
            linked = await admin.put(f"/api/v1/admin/devices/{device_id}/user",
                                     json={"username": username})
            # 404 user.not_found while the gateway's account projection has not seen them
            assert linked.status_code in (202, 404), linked.text
            await user.get("/api/v1/me")  # a round trip between looks, not a bare sleep
    return username


async def test_a_user_granted_ssp_retire_removes_an_iphone_from_management(new_page, portal):
    iphone = portal.iphones[6]  # enrolled, linked to no one until here
    username = await _user_who_may_retire(portal, iphone.udid)
    page = await new_page()
    await sign_in(page, portal, username)
    await open_device(page, iphone.udid)
    opener = page.locator("button[data-open-dialog='dialog-retire']")
    await expect(opener).to_have_text(REMOVE)
    # With the other destructive actions, apart from the safe ones.
    await expect(page.locator(".danger-zone").get_by_role("button", name=REMOVE)).to_be_visible()

    form = await confirm_destructive(page, "retire", portal)
    await expect(form.locator("[data-what-happens]")).to_contain_text("Your own apps and data")
    submit = form.locator("button[type=submit]")
    await form.locator("input[name=typed_name]").fill("not this phone")
    await expect(submit).to_be_disabled()  # the typed name must match first
    await screenshot(page, "retire-dialog")

    german = await new_page(locale="de-DE")
    await sign_in(german, portal, username)
    await open_device(german, iphone.udid)
    dialog = await confirm_destructive(german, "retire", portal)
    await expect(dialog.locator("[data-what-happens]")).to_contain_text(
        "Ihre eigenen Apps und Daten bleiben")
    await expect(dialog.locator("button[type=submit]")).to_have_text(
        "Aus der Verwaltung entfernen")

    await form.locator("input[name=typed_name]").fill(
        await form.get_attribute("data-confirm-name") or "")
    await submit.click()
    await expect(page.get_by_text("The command was sent.")).to_be_visible()

    await expect(page.locator("[data-device-id] > .badge")).to_have_text(
        "No longer managed", timeout=LIVE_TIMEOUT_MS)
    await expect(page.get_by_role("heading", name="Actions")).to_have_count(0)
    await expect(history_row(page, REMOVE).locator("[data-field=status]")).to_have_text(
        "done", timeout=LIVE_TIMEOUT_MS)
    # The iPhone got RemoveProfile for its enrollment profile, and nothing was erased.
    [removal] = [r for r in iphone.received if r.request_type == "RemoveProfile"]
    assert removal.status == "Acknowledged" and removal.options == {"Identifier"}
    assert (iphone.unenroll_count, iphone.wipe_count, iphone.state.enrolled) == (1, 0, False)


async def test_full_access_does_not_offer_or_mention_removal(new_page, portal):
    page = await new_page()
    await sign_in(page, portal, "alice")  # the built-in full-access template
    await open_device(page, portal.iphones[0].udid)
    await expect(page.get_by_role("button", name="Erase device")).to_be_visible()
    await expect(page.get_by_text(REMOVE)).to_have_count(0)
    await expect(page.locator("#dialog-retire")).to_have_count(0)
