"""A device's owner names it for themselves (admins see both names); the name is the owner's
alone: another user's device answers 404, as every owner-scoped route does. (Its activity:
test_device_activity.py.)
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

pytest.importorskip("playwright.async_api", reason="the playwright Python package is missing")

from playwright.async_api import expect
from ssp_contracts.devices import DeviceIdentifiers, DeviceOwner, DeviceSnapshot
from ssp_contracts.enums import LinkSource, ManagementMode, Platform

from tests.browser.demo_org import DemoOrg
from tests.browser.pages import settled, sign_in
from tests.browser.seeded_devices import seed_owner

SEEN = datetime.now(UTC) - timedelta(minutes=2)


def phone(portal: DemoOrg, user_id: str, device_id: str, name: str) -> DeviceSnapshot:
    return DeviceSnapshot(
        org_id=portal.org, device_id=device_id, version=1, platform=Platform.IOS,
        management_mode=ManagementMode.IOS_SUPERVISED, name=name,
        identifiers=DeviceIdentifiers(serial_number=device_id.upper().replace("-", "")),
        model="iPhone (iPhone15,4)", last_contact_at=SEEN,
        owner=DeviceOwner(user_id=user_id, linked_at=SEEN - timedelta(days=1),
                          source=LinkSource.MANUAL))


@pytest.fixture(scope="module")
async def owners(portal: DemoOrg, bootstrap: str) -> tuple[str, str, str]:
    """(rita, rita's device, another user's device)."""
    rita, tag = await seed_owner(portal, bootstrap, "rita", lambda user_id, tag: [
        phone(portal, user_id, f"rn-{tag}", "iPhone von Rita")])
    _, other_tag = await seed_owner(portal, bootstrap, "otto", lambda user_id, tag: [
        phone(portal, user_id, f"rn-{tag}", "Otto's iPhone")])
    return rita, f"rn-{tag}", f"rn-{other_tag}"


async def test_the_owner_renames_a_device_and_admins_see_both_names(new_page, portal, owners):
    rita, device, others = owners
    page = await new_page()
    await sign_in(page, portal, rita)
    await page.goto(f"/devices/{device}")
    await settled(page)
    await page.get_by_text("Your name for this device").click()
    await page.get_by_label("Name shown to you").fill("  Rita's   work phone ")
    await page.get_by_role("button", name="Rename").click()
    await expect(page.get_by_role("status")).to_have_text("The device's name was saved.")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Rita's work phone")
    await expect(page.locator("[data-field=device-name]")).to_have_text("iPhone von Rita")
    await page.goto("/devices")
    await expect(page.locator(f"li.card[data-device-id='{device}'] h2")).to_have_text(
        "Rita's work phone")

    async with portal.api_session(rita) as api:
        mine = (await api.get(f"/api/v1/devices/{device}")).json()
        assert (mine["label"], mine["name"]) == ("Rita's work phone", "iPhone von Rita")
        taken = await api.put(f"/api/v1/devices/{others}/label", json={"label": "mine now"})
        assert taken.status_code == 404, taken.text
        taken = await api.post(f"/devices/{others}/label", data={
            "label": "mine now", "csrf_token": api.headers["X-CSRF-Token"]})
        assert taken.status_code == 404, taken.text

    admin = await new_page()
    await sign_in(admin, portal, "admin")
    await admin.goto(f"/admin/devices?username={rita}")
    row = admin.locator(f"tr[data-device-id='{device}']")
    await expect(row).to_contain_text("iPhone von Rita")
    await expect(row.locator("[data-field=owner-label]")).to_have_text(
        "Owner calls it: Rita's work phone")

    # An empty name gives the device its own name back.
    await page.goto(f"/devices/{device}")
    await settled(page)
    await page.get_by_text("Your name for this device").click()
    await page.get_by_label("Name shown to you").fill("")
    await page.get_by_role("button", name="Rename").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("iPhone von Rita")
