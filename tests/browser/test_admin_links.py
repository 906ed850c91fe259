"""Admin device links and reservations as an admin uses them: device names instead of ids,
buttons whose accessible names say which device, a confirm step before a link is removed or
a reservation deleted, the list's filter kept after an action. (Every admin page on a
390 px phone: test_page_gallery.py.)
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime

import pytest

pytest.importorskip("playwright.async_api", reason="the playwright Python package is missing")

from playwright.async_api import expect
from ssp_contracts.devices import DeviceIdentifiers, DeviceOwner, DeviceSnapshot
from ssp_contracts.enums import LinkSource, ManagementMode, Platform

from tests.browser.demo_org import DemoOrg
from tests.browser.pages import open_dialog, screenshot, sign_in
from tests.browser.seeded_devices import seed_owner

SEEN = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
async def owner(portal: DemoOrg, bootstrap: str) -> tuple[str, str]:
    def devices(user_id: str, tag: str) -> list[DeviceSnapshot]:
        owner = DeviceOwner(user_id=user_id, linked_at=SEEN, source=LinkSource.MANUAL)
        named = DeviceSnapshot(
            org_id=portal.org, device_id=f"adm-{tag}-named", version=1, platform=Platform.IOS,
            management_mode=ManagementMode.IOS_SUPERVISED, name="Desk iPad",
            identifiers=DeviceIdentifiers(serial_number=f"ADM{tag}".upper()),
            model="iPad (iPad13,18)", last_contact_at=SEEN, owner=owner)
        nameless = named.model_copy(update={
            "device_id": f"adm-{tag}-nameless", "name": None,
            "identifiers": DeviceIdentifiers(serial_number=f"NONAME{tag}".upper())})
        return [named, nameless]
    return await seed_owner(portal, bootstrap, "dora", devices)


async def test_remove_link_asks_first_names_the_device_and_keeps_the_filter(
        new_page, portal, owner):
    username, tag = owner
    page = await new_page()
    await sign_in(page, portal, "admin")
    await page.goto(f"/admin/devices?username={username}")
    rows = page.locator("tbody tr")
    await expect(rows).to_have_count(2)
    nameless = page.locator(f"tr[data-device-id='adm-{tag}-nameless'] td").first
    await expect(nameless).to_contain_text(f"NONAME{tag}".upper())  # the serial, not the id
    await expect(page.locator("tbody")).not_to_contain_text(f"adm-{tag}")

    remove = page.get_by_role("button", name="Remove link (Desk iPad)")
    await expect(remove).to_have_count(1)
    await expect(page.get_by_role("button", name="Link to user (Desk iPad)")).to_have_count(1)
    await expect(page.get_by_role("textbox", name="Linked user of Desk iPad")).to_have_count(1)

    dialog = await open_dialog(page, remove)
    await expect(dialog.get_by_role("heading")).to_have_text("Remove the link of Desk iPad?")
    await expect(dialog).to_contain_text("no longer sees Desk iPad in the portal")
    await screenshot(page, "admin-unlink-confirm")
    await dialog.get_by_role("button", name="Cancel").click()
    await expect(dialog).to_be_hidden()
    await expect(page).to_have_url(re.compile(rf"/admin/devices\?username={username}$"))

    dialog = await open_dialog(page, remove)
    await dialog.get_by_role("button", name="Remove link").click()
    await expect(page.get_by_role("status")).to_contain_text("The link change was sent.")
    await expect(page).to_have_url(re.compile(rf"username={username}"))
    await expect(page.locator("#f-user")).to_have_value(username)
    await expect(page.locator("tbody tr").first).to_contain_text("Desk iPad")


async def test_deleting_a_reservation_asks_first(new_page, portal):
    serial = f"DEL{uuid.uuid4().hex[:8].upper()}"
    async with portal.api_session("admin") as admin:
        made = await admin.post("/api/v1/admin/reservations", json={
            "kind": "serial_number", "value": serial, "username": "carol"})
        assert made.status_code in (200, 201), made.text
    page = await new_page()
    await sign_in(page, portal, "admin")
    await page.goto("/admin/reservations")
    delete = page.get_by_role("button", name=f"Delete (Serial number {serial})")
    dialog = await open_dialog(page, delete)
    await expect(dialog.get_by_role("heading")).to_have_text(
        f"Delete the reservation of Serial number {serial}?")
    await dialog.get_by_role("button", name="Cancel").click()
    await expect(page.locator("tbody tr", has_text=serial)).to_have_count(1)
    dialog = await open_dialog(page, delete)
    await dialog.get_by_role("button", name="Delete").click()
    await expect(page.get_by_role("status")).to_be_visible()
    await expect(page.locator("tbody tr", has_text=serial)).to_have_count(0)
