"""What a person does on the portal's pages, and screenshots of them for the docs."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from playwright.async_api import Locator, Page, expect

from tests.browser.demo_org import DemoOrg

REPO = Path(__file__).resolve().parents[2]
# Set SSP_SCREENSHOT_DIR to keep a run's pictures elsewhere, or to "" to take none.
SCREENSHOTS = os.environ.get("SSP_SCREENSHOT_DIR", str(REPO / "docs" / "screenshots"))
PHONE = 390  # px: the narrowest phone the portal is laid out for
# Every page is looked at in these widths and languages (test_page_gallery.py,
# test_accessibility.py).
WIDTHS = {"desktop": 1280, "phone": PHONE}
LOCALES = {"en": "en-GB", "de": "de-DE"}
ADMIN_PAGES = ("users", "roles", "devices", "imports", "reservations", "helpdesk")
LIVE_TIMEOUT_MS = 45_000  # a command's round trip through every service and the device


async def screenshot(page: Page, name: str) -> None:
    if SCREENSHOTS:
        await page.screenshot(path=Path(SCREENSHOTS) / f"{name}.png", full_page=True)


async def no_horizontal_overflow(page: Page) -> None:
    """Nothing on the page makes a phone scroll sideways."""
    width = await page.evaluate("document.documentElement.scrollWidth")
    viewport = await page.evaluate("window.innerWidth")
    assert width <= viewport, f"the page is {width} px wide on a {viewport} px screen"


async def sign_in(page: Page, demo: DemoOrg, username: str, *,
                  password: str | None = None) -> None:
    """The login form, left without an organisation: the portal's default is this run's."""
    await page.goto("/login")
    await page.locator("#username").fill(username)
    await page.locator("#password").fill(password or demo.password)
    await page.locator("form[action='/login'] button[type=submit]").click()
    await expect(page).to_have_url(f"{demo.url}/devices")


async def settled(page: Page) -> None:
    """The page is up to date and its live stream is open (portal.js marks the body)."""
    await expect(page.locator("body[data-live-ready]")).to_have_count(1)


async def open_device(page: Page, device_id: str) -> None:
    await page.locator(f"a[href='/devices/{device_id}']").click()
    await expect(page.locator(f"[data-device-id='{device_id}']")).to_be_visible()
    await settled(page)


async def open_dialog(page: Page, opener: Locator) -> Locator:
    """Clicks until the opener's dialog is open: a live update may reload the page right
    under a click (portal.js then ignores the click), as it may for a person."""
    dialog = page.locator("dialog[open]")
    for _ in range(10):
        await opener.click()
        try:
            await expect(dialog).to_be_visible(timeout=2_000)
            return dialog  # an open dialog holds further reloads back until it closes
        except AssertionError:
            continue
    raise AssertionError("the dialog never opened")


def history_row(page: Page, action_label: str) -> Any:
    """The newest command history row of an action (the table is newest first)."""
    return page.locator("#command-history tbody tr", has_text=action_label).first


async def confirm_destructive(page: Page, action: str, demo: DemoOrg) -> Any:
    """Opens the action's dialog, types the device name and the password; returns the form."""
    dialog = await open_dialog(page, page.locator(f"button[data-open-dialog='dialog-{action}']"))
    form = dialog.locator("form")
    name = await form.get_attribute("data-confirm-name")
    assert name, "the dialog names the device to type"
    await form.locator("input[name=typed_name]").fill(name)
    await form.locator("input[name=password]").fill(demo.password)
    return form
