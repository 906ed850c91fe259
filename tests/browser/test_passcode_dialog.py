"""A passcode reset on alice's Android phone, end to end: the dispatcher seals the new
passcode to the (demo) gateway key, the gateway offers it once in a dialog."""

from __future__ import annotations

import pytest

pytest.importorskip("playwright.async_api", reason="the playwright Python package is missing")

from playwright.async_api import expect

from tests.browser.pages import (
    LIVE_TIMEOUT_MS,
    confirm_destructive,
    open_device,
    open_dialog,
    screenshot,
    sign_in,
)


async def test_the_new_passcode_is_shown_once_in_a_dialog(new_page, portal):
    page = await new_page()
    await sign_in(page, portal, "alice")
    await open_device(page, portal.android_id)
    form = await confirm_destructive(page, "reset_passcode", portal)
    await form.locator("button[type=submit]").click()
    await expect(page.get_by_text("The command was sent.")).to_be_visible()

    opener = page.get_by_role("button", name="Show new passcode")
    await expect(opener).to_have_count(1, timeout=LIVE_TIMEOUT_MS)  # the page reloads itself
    dialog = await open_dialog(page, opener)
    await expect(dialog).to_contain_text("shown only this once")
    await screenshot(page, "passcode-dialog")
    await dialog.get_by_role("button", name="Show it now").click()
    assert portal.android is not None and portal.android.password
    await expect(dialog.locator("output")).to_have_text(portal.android.password)

    await dialog.get_by_role("button", name="Close").click()
    await expect(page.get_by_text("The new passcode was shown")).to_be_visible()
    await expect(opener).to_have_count(0)
    assert portal.android.password not in await page.content()  # the page kept no copy
    await page.reload()
    await expect(page.get_by_role("heading", name="Actions")).to_be_visible()
    await expect(opener).to_have_count(0)
    await expect(page.get_by_text("The new passcode was shown")).to_be_visible()
