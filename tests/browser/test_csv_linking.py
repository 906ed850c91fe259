"""An administrator links a device by CSV import on the admin pages, and its new owner, whose
page is open meanwhile, sees it appear without reloading."""

from __future__ import annotations

import re
import time
import uuid

import pytest

pytest.importorskip("playwright.async_api", reason="the playwright Python package is missing")

from playwright.async_api import Page, expect

from tests.browser.pages import LIVE_TIMEOUT_MS, screenshot, settled, sign_in


async def upload(page: Page, csv_text: str, *, dry_run: bool) -> dict[str, str]:
    """Uploads the file on the import page and waits for the import's end; returns the counts
    the page shows once it has reloaded with the report."""
    await page.get_by_role("link", name="CSV import").first.click()
    await page.locator("#import-file").set_input_files(files=[{
        "name": "links.csv", "mimeType": "text/csv", "buffer": csv_text.encode()}])
    await page.get_by_label("Dry run").set_checked(dry_run)
    await page.locator("form[action='/admin/imports'] button[type=submit]").click()
    await expect(page).to_have_url(re.compile(r"/admin/imports/[^/?]+$"))
    progress = page.locator("#import-progress")
    await expect(progress).to_have_attribute("data-state", "completed", timeout=LIVE_TIMEOUT_MS)
    counts = {}
    for cell in await progress.locator("[data-count]").all():
        counts[await cell.get_attribute("data-count") or ""] = (await cell.inner_text()).strip()
    return counts


async def test_an_admin_links_a_device_by_csv_and_its_owner_sees_it_appear(new_page, portal):
    spare = portal.iphones[3]  # enrolled, linked to no one
    username = f"erin-{uuid.uuid4().hex[:6]}"
    await portal.create_user(username)

    owner = await new_page()
    await sign_in(owner, portal, username)
    await expect(owner.get_by_text("No device is linked to your account yet.")).to_be_visible()
    await expect(owner.locator("li.card")).to_have_count(0)
    await settled(owner)  # its live stream is open: the device must come without a reload

    admin = await new_page()
    await sign_in(admin, portal, "admin")
    csv_text = f"serial_number;username\n{spare.serial_number};{username}\n"
    # A dry run first, as an administrator would. The registry learns of a new account from
    # ssp.access, so right after its creation the row may still say "unknown user".
    deadline = time.monotonic() + 60
    while (counts := await upload(admin, csv_text, dry_run=True))["linked"] != "1":
        assert counts["unknown_user"] == "1", f"the dry run says {counts}"
        assert time.monotonic() < deadline, "the registry never learnt of the new account"
    await expect(admin.locator(".notice")).to_contain_text("Dry run: nothing was changed.")
    await expect(owner.locator("li.card")).to_have_count(0)  # a dry run links nothing

    counts = await upload(admin, csv_text, dry_run=False)
    assert counts["linked"] == "1", counts
    report = admin.locator("section[aria-labelledby=report-title] tbody tr")
    await expect(report).to_have_count(1)
    await expect(report).to_contain_text(spare.serial_number)
    await expect(report).to_contain_text("linked")
    await screenshot(admin, "admin-import")

    card = owner.locator("li.card")
    await expect(card).to_have_count(1, timeout=LIVE_TIMEOUT_MS)
    await expect(card).to_contain_text(spare.serial_number)
    await expect(owner.locator(f"a[href='/devices/{spare.udid}']")).to_be_visible()
