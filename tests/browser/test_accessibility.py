"""axe-core finds no accessibility violation on any page: login (also with its error), each of
a user's devices (an iPhone and an Android phone, with an action dialog open), their activity
(also as an admin reads it), every admin page (with a confirm dialog open where there is one)
and the error pages, at a desktop and a 390 px phone width, in English and German.

axe-core is the gateway's npm dev dependency (`make install` installs it, nothing ships it).
"""

from __future__ import annotations

from typing import Any

import pytest

pytest.importorskip("playwright.async_api", reason="the playwright Python package is missing")

from playwright.async_api import Page, expect

from tests.browser.demo_org import DemoOrg
from tests.browser.pages import ADMIN_PAGES, LOCALES, REPO, WIDTHS, open_dialog, settled, sign_in

AXE = REPO / "services" / "portal-gateway" / "node_modules" / "axe-core" / "axe.min.js"


def describe(violations: list[dict[str, Any]]) -> str:
    """One line a violated rule, one indented line each element it found."""
    lines = []
    for rule in violations:
        lines.append(f"{rule['id']} ({rule['impact']}): {rule['help']}")
        lines += [f"    {node['target']}: {node['failureSummary'].splitlines()[-1].strip()}"
                  for node in rule["nodes"]]
    return "\n".join(lines)


class Audit:
    """Runs axe-core on pages and keeps what it found: one failure lists every page's."""

    def __init__(self) -> None:
        self.found: list[str] = []

    async def page(self, page: Page, where: str) -> None:
        if not await page.evaluate("typeof window.axe !== 'undefined'"):
            await page.add_script_tag(path=AXE)
        violations = await page.evaluate("async () => (await axe.run(document)).violations")
        if violations:
            self.found.append(f"{where} ({page.url}):\n{describe(violations)}")

    async def with_dialog(self, page: Page, where: str) -> None:
        """The page, then with its first dialog open (if it has one)."""
        await self.page(page, where)
        opener = page.locator("button[data-open-dialog]").first
        if await opener.count():
            await open_dialog(page, opener)
            await self.page(page, f"{where} with a dialog open")


@pytest.mark.parametrize("width", list(WIDTHS))
@pytest.mark.parametrize("language", list(LOCALES))
async def test_no_page_has_an_accessibility_violation(new_page, portal: DemoOrg,
                                                      language, width):
    assert AXE.exists(), f"{AXE} is missing: run `make install`"
    audit = Audit()
    page = await new_page(LOCALES[language], width=WIDTHS[width], bypass_csp=True)
    await page.goto("/login")
    await page.locator("#username").fill("alice")
    await page.locator("#password").fill("not the password")
    await page.locator("form[action='/login'] button[type=submit]").click()
    await expect(page.locator("[role=alert]")).to_be_visible()
    await audit.page(page, "the login page with its error")
    await sign_in(page, portal, "alice")
    await settled(page)
    await audit.page(page, "my devices")
    for device in (portal.iphones[0].udid, portal.android_id):
        await page.goto(f"/devices/{device}")
        await settled(page)
        await audit.with_dialog(page, f"the device page of {device}")
        await page.goto(f"/devices/{device}/activity")
        await audit.page(page, f"the activity of {device}")
    for path, status in (("/devices/no-such-device", 404), ("/admin/users", 403)):
        response = await page.goto(path)
        assert response is not None and response.status == status, path
        await audit.page(page, f"the error page {status}")

    admin = await new_page(LOCALES[language], width=WIDTHS[width], bypass_csp=True)
    await sign_in(admin, portal, "admin")
    for name in ADMIN_PAGES:
        await admin.goto(f"/admin/{name}")
        await audit.with_dialog(admin, f"admin/{name}")
    await admin.goto(f"/devices/{portal.iphones[0].udid}/activity")  # with the audit's detail
    await expect(admin.locator("#activity [data-field=detail]").first).to_be_visible()
    await audit.page(admin, "an admin's view of a device's activity")
    assert not audit.found, "axe-core found violations on\n" + "\n".join(audit.found)
