"""What each demo user may see: read-only bob, admin without a device, carol without a
permission, and alice in German."""

from __future__ import annotations

import pytest

pytest.importorskip("playwright.async_api", reason="the playwright Python package is missing")

from playwright.async_api import expect

from tests.browser.pages import open_device, screenshot, sign_in


async def test_a_read_only_user_sees_the_device_but_no_remote_action(new_page, portal):
    page = await new_page()
    await sign_in(page, portal, "bob")
    await expect(page.locator("li.card")).to_have_count(1)
    await open_device(page, portal.iphones[2].udid)
    await expect(page.get_by_role("heading", name="Details")).to_be_visible()
    # Only a fresh read of the device's details: ssp.view allows it, no remote action.
    await expect(page.locator("ul.actions button")).to_have_text(["Refresh details"])
    await expect(page.locator("ul.unavailable")).to_contain_text(
        "Your account is not allowed to do this.")


async def test_a_user_without_a_device_or_permission_is_told_which(new_page, portal):
    page = await new_page()
    await sign_in(page, portal, "admin")  # full access and admin, but no device of their own
    await expect(page.get_by_text("No device is linked to your account yet.")).to_be_visible()
    await expect(page.locator("li.card")).to_have_count(0)
    await expect(page.get_by_text("no permission to use the self-service portal")).to_have_count(0)

    page = await new_page()
    await sign_in(page, portal, "carol")
    await expect(page.get_by_text("no permission to use the self-service portal")).to_be_visible()
    await expect(page.get_by_text("No device is linked to your account yet.")).to_be_visible()


async def test_the_portal_speaks_german_when_the_browser_asks_for_it(new_page, portal):
    page = await new_page(locale="de-DE")
    await page.goto("/login")
    await expect(page.locator("html")).to_have_attribute("lang", "de")
    await sign_in(page, portal, "alice")
    await expect(page.get_by_role("heading", name="Meine Geräte")).to_be_visible()
    await expect(page.locator("li.card")).to_have_count(3)
    await expect(page.locator("li.card").first).to_contain_text("Seriennummer")
    await screenshot(page, "devices-de")
    await open_device(page, portal.iphones[0].udid)
    await expect(page.get_by_role("heading", name="Befehlsverlauf")).to_be_visible()
