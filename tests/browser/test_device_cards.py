"""Device cards and pages on a phone: values that do not break mid-token, the battery and
how long ago the device was seen at a glance, actions that remove data apart from the
everyday ones, and dialogs that say what will happen and why their button waits.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

pytest.importorskip("playwright.async_api", reason="the playwright Python package is missing")

from playwright.async_api import expect
from ssp_contracts.devices import DeviceIdentifiers, DeviceOwner, DeviceSnapshot
from ssp_contracts.enums import LinkSource, ManagementMode, Platform

from tests.browser.demo_org import DemoOrg
from tests.browser.pages import (
    PHONE,
    no_horizontal_overflow,
    open_dialog,
    screenshot,
    settled,
    sign_in,
)
from tests.browser.seeded_devices import seed_owner

SERIAL = "C02XK1ABCD12345678EF"  # long enough to be split on a narrow card


@pytest.fixture(scope="module")
async def owner(portal: DemoOrg, bootstrap: str) -> tuple[str, str]:
    seen = datetime.now(UTC) - timedelta(minutes=5)

    def devices(user_id: str, tag: str) -> list[DeviceSnapshot]:
        owner = DeviceOwner(user_id=user_id, linked_at=seen, source=LinkSource.MANUAL)
        return [
            DeviceSnapshot(org_id=portal.org, device_id=f"card-{tag}-ios", version=1,
                           platform=Platform.IOS, management_mode=ManagementMode.IOS_SUPERVISED,
                           name="Work iPhone", identifiers=DeviceIdentifiers(serial_number=SERIAL),
                           model="iPhone (iPhone16,1)", os_version="18.1", battery_level=0.42,
                           last_contact_at=seen, owner=owner),
            DeviceSnapshot(org_id=portal.org, device_id=f"card-{tag}-android", version=1,
                           platform=Platform.ANDROID,
                           management_mode=ManagementMode.ANDROID_FULLY_MANAGED,
                           name="Work Pixel", identifiers=DeviceIdentifiers(serial_number="PX1"),
                           model="Pixel 8", os_version="15", last_contact_at=seen, owner=owner),
        ]
    return await seed_owner(portal, bootstrap, "cara", devices)


async def test_cards_on_a_phone_keep_tokens_whole_and_show_battery_and_last_seen(
        new_page, portal, owner):
    username, tag = owner
    page = await new_page(width=PHONE)
    await sign_in(page, portal, username)
    card = page.locator(f"li.card[data-device-id='card-{tag}-ios']")
    serial = card.locator("dd", has_text=SERIAL)
    await expect(serial).to_have_text(SERIAL)
    one_line = await card.locator("dt").first.bounding_box()
    box = await serial.bounding_box()
    assert one_line and box and box["height"] <= one_line["height"] * 1.2, \
        "the serial number is broken across lines"
    await expect(card.locator("meter.battery")).to_have_attribute("value", "0.42")
    await expect(card).to_contain_text("42%")
    await expect(card.locator("time[data-ago]")).to_contain_text("(5 minutes ago)")
    await no_horizontal_overflow(page)


async def test_on_a_desktop_the_serial_stays_inside_its_card(new_page, portal, owner):
    """German has the longest labels ("Betriebssystem") beside the values."""
    username, tag = owner
    page = await new_page("de-DE")
    await sign_in(page, portal, username)
    card = page.locator(f"li.card[data-device-id='card-{tag}-ios']")
    serial = card.locator("dd", has_text=SERIAL)
    await expect(serial).to_have_text(SERIAL)
    card_box, serial_box = await card.bounding_box(), await serial.bounding_box()
    assert card_box and serial_box
    assert serial_box["x"] + serial_box["width"] <= card_box["x"] + card_box["width"], \
        "the serial number runs out of its card"


@pytest.mark.parametrize(("platform", "what_happens"), [
    ("ios", "The passcode is removed: afterwards the device opens without one"),
    ("android", "The device gets a new passcode, shown on this page"),
])
async def test_destructive_actions_stand_apart_and_say_what_happens(
        new_page, portal, owner, platform, what_happens):
    username, tag = owner
    page = await new_page(width=PHONE)
    await sign_in(page, portal, username)
    await page.goto(f"/devices/card-{tag}-{platform}")
    await settled(page)
    safe = page.locator("ul.actions[data-group=safe]")
    apart = page.locator(".danger-zone")
    await expect(apart.get_by_role("heading")).to_have_text("Cannot be undone")
    await expect(apart.get_by_role("button", name="Erase device")).to_be_visible()
    await expect(apart.get_by_role("button", name="Reset passcode")).to_be_visible()
    await expect(safe.get_by_role("button", name="Lock", exact=True)).to_be_visible()
    await expect(safe.get_by_role("button", name="Erase device")).to_have_count(0)

    dialog = await open_dialog(page, apart.get_by_role("button", name="Reset passcode"))
    await expect(dialog.locator("[data-what-happens]")).to_contain_text(what_happens)
    submit = dialog.locator("button[type=submit]")
    why = dialog.locator("[data-why-disabled]")
    await expect(submit).to_be_disabled()
    await expect(why).to_be_visible()
    await expect(why).to_contain_text("once you have typed the device name")
    await expect(submit).to_have_accessible_description(await why.inner_text())
    name = await dialog.locator("form").get_attribute("data-confirm-name")
    await dialog.locator("input[name=typed_name]").fill(name or "")
    await expect(submit).to_be_enabled()
    await expect(why).to_be_hidden()
    await no_horizontal_overflow(page)
    await screenshot(page, f"passcode-dialog-{platform}-phone-en")
