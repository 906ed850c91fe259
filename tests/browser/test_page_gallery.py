"""Every page at a desktop and a 390 px phone width, in English and German: each in the
page's language, none wider than the screen, and a screenshot of each under
docs/screenshots/ (`<page>-<language>-<desktop|phone>.png`, listed in its README.md).
"""

from __future__ import annotations

import pytest

pytest.importorskip("playwright.async_api", reason="the playwright Python package is missing")

from playwright.async_api import Page, expect

from tests.browser.demo_org import DemoOrg
from tests.browser.pages import (
    ADMIN_PAGES,
    LOCALES,
    WIDTHS,
    no_horizontal_overflow,
    screenshot,
    settled,
    sign_in,
)


async def look(page: Page, name: str, language: str, width: str) -> None:
    await expect(page.locator("h1")).to_be_visible()
    await expect(page.locator("html")).to_have_attribute("lang", language)
    await no_horizontal_overflow(page)
    await screenshot(page, f"{name}-{language}-{width}")


@pytest.mark.parametrize("width", list(WIDTHS))
@pytest.mark.parametrize("language", list(LOCALES))
async def test_every_page_fits_and_speaks_the_language(new_page, portal: DemoOrg,
                                                        language, width):
    iphone = portal.iphones[0].udid
    page = await new_page(LOCALES[language], width=WIDTHS[width])
    await page.goto("/login")
    await look(page, "login", language, width)
    await sign_in(page, portal, "alice")
    await settled(page)
    await look(page, "my-devices", language, width)
    await page.goto(f"/devices/{iphone}")
    await settled(page)
    await look(page, "device", language, width)
    await page.goto(f"/devices/{iphone}/activity")
    await look(page, "device-activity", language, width)

    admin = await new_page(LOCALES[language], width=WIDTHS[width])
    await sign_in(admin, portal, "admin")
    for name in ADMIN_PAGES:
        await admin.goto(f"/admin/{name}")
        await look(admin, f"admin-{name}", language, width)
