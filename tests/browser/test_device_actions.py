"""Alice signs in, sees her devices and runs actions; each result arrives on the open page."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

pytest.importorskip("playwright.async_api", reason="the playwright Python package is missing")

from playwright.async_api import expect

from tests.browser.pages import (
    LIVE_TIMEOUT_MS,
    confirm_destructive,
    history_row,
    open_device,
    open_dialog,
    screenshot,
    settled,
    sign_in,
)
from tests.support.waiting import eventually


async def test_sign_in_lock_an_iphone_and_see_it_done_live(new_page, portal):
    page = await new_page()
    await page.goto("/devices")
    await expect(page).to_have_url(f"{portal.url}/login?next=/devices")
    await screenshot(page, "login")
    await sign_in(page, portal, "alice")
    await expect(page.get_by_role("heading", name="My devices")).to_be_visible()
    await expect(page.locator("li.card")).to_have_count(3)  # two iPhones and an Android phone
    await screenshot(page, "my-devices")

    iphone = portal.iphones[0].udid
    await open_device(page, iphone)
    await screenshot(page, "device-detail")
    before = datetime.now(UTC)
    await page.locator("ul.actions").get_by_role("button", name="Lock", exact=True).click()
    await expect(page.get_by_text("The command was sent.")).to_be_visible()
    # No reload by the test: the status arrives over Server-Sent Events.
    await expect(history_row(page, "Lock").locator("[data-field=status]")).to_have_text(
        "done", timeout=LIVE_TIMEOUT_MS)
    assert portal.iphones[0].state.lock_count == 1

    # Answering the lock was a contact: "last contact" moves with it, without a refresh.
    async with portal.api_session("alice") as alice:
        async def contacted() -> str | None:
            seen = (await alice.get(f"/api/v1/devices/{iphone}")).json()["last_contact_at"]
            return seen if seen and datetime.fromisoformat(seen) >= before else None
        seen = await eventually(contacted, timeout_s=LIVE_TIMEOUT_MS / 1000,
                                what="last contact after the lock")
    # The page shows it in the reader's zone; the <time> carries the instant itself.
    shown = datetime.fromisoformat(seen).astimezone(UTC).isoformat()
    await expect(page.locator(f"dl.facts time[datetime='{shown}']")).to_have_count(
        1, timeout=LIVE_TIMEOUT_MS)


async def test_lost_mode_with_a_message_and_a_phone_number(new_page, portal):
    page = await new_page()
    await sign_in(page, portal, "alice")
    await open_device(page, portal.iphones[0].udid)
    dialog = await open_dialog(page, page.locator(
        "button[data-open-dialog='dialog-enable_lost_mode']"))
    await dialog.locator("#lm-message").fill("Found me? Please call Alice.")
    await dialog.locator("#lm-phone").fill("+49 30 1234567")
    await dialog.locator("#lm-footnote").fill("Reward offered")
    await dialog.locator("button[type=submit]").click()
    await expect(page.locator("p.badge", has_text="Lost mode")).to_be_visible(
        timeout=LIVE_TIMEOUT_MS)
    state = portal.iphones[0].state
    assert (state.lost_mode, state.lost_message, state.lost_phone_number,
            state.lost_footnote) == (True, "Found me? Please call Alice.", "+49 30 1234567",
                                     "Reward offered")
    await expect(page.locator("ul.actions").get_by_role(
        "button", name="Turn off lost mode")).to_be_visible()
    # While lost mode is on, the page says what the device's screen shows.
    lost = page.locator("section[aria-labelledby=lost-title]")
    await expect(lost.locator("[data-field=lost-message]")).to_have_text(
        "Found me? Please call Alice.")
    await expect(lost.locator("[data-field=lost-phone]")).to_have_text("+49 30 1234567")
    await expect(lost.locator("[data-field=lost-footnote]")).to_have_text("Reward offered")
    await screenshot(page, "device-lost-mode")


async def test_wipe_needs_the_typed_device_name_and_the_password(new_page, portal):
    page = await new_page()
    await sign_in(page, portal, "alice")
    iphone = portal.iphones[1]
    await open_device(page, iphone.udid)
    form = await confirm_destructive(page, "wipe", portal)
    submit = form.locator("button[type=submit]")
    await form.locator("input[name=typed_name]").fill("not this phone")
    await expect(submit).to_be_disabled()
    await screenshot(page, "wipe-dialog")

    await form.locator("input[name=password]").fill("a wrong password")
    await form.locator("input[name=typed_name]").fill(await form.get_attribute(
        "data-confirm-name") or "")
    await submit.click()
    await expect(page.get_by_role("alert")).to_have_text("The password is wrong.")
    assert iphone.wipe_count == 0

    await page.goto(f"/devices/{iphone.udid}")
    await settled(page)
    form = await confirm_destructive(page, "wipe", portal)
    await form.locator("button[type=submit]").click()
    await expect(page.get_by_text("The command was sent.")).to_be_visible()
    # Once erased: a badge and one sentence, no "Actions" with a reason per action.
    await expect(page.locator("[data-device-id] > .badge")).to_have_text(
        "Erased", timeout=LIVE_TIMEOUT_MS)
    await expect(page.get_by_text("has been erased")).to_have_count(1)
    await expect(page.get_by_role("heading", name="Actions")).to_have_count(0)
    await expect(history_row(page, "Erase device").locator("[data-field=status]")).to_have_text(
        "done", timeout=LIVE_TIMEOUT_MS)
    assert iphone.wipe_count == 1
    await page.goto("/devices")
    await expect(page.locator(f"li.card[data-device-id='{iphone.udid}'] .badge")).to_have_text(
        "Erased")
