"""What a person reads in their own language and time zone: numbers and dates as English or
German write them (Babel on the server), times in the browser's zone (Intl in portal.js),
model identifiers as the names people know, platforms and permissions in words.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

pytest.importorskip("playwright.async_api", reason="the playwright Python package is missing")

from playwright.async_api import expect
from ssp_contracts.devices import DeviceIdentifiers, DeviceOwner, DeviceSnapshot
from ssp_contracts.enums import LinkSource, ManagementMode, Platform

from tests.browser.demo_org import DemoOrg
from tests.browser.pages import settled, sign_in
from tests.browser.seeded_devices import seed_owner

SEEN = datetime(2026, 3, 14, 9, 26, tzinfo=UTC)  # 05:26 in New York, 10:26 in Berlin


@pytest.fixture(scope="module")
async def owner(portal: DemoOrg, bootstrap: str) -> tuple[str, str]:
    def phone(user_id: str, tag: str) -> list[DeviceSnapshot]:
        return [DeviceSnapshot(
            org_id=portal.org, device_id=f"fmt-{tag}", version=1, platform=Platform.IOS,
            management_mode=ManagementMode.IOS_SUPERVISED, name="Lena's phone",
            identifiers=DeviceIdentifiers(serial_number=f"FMT{tag}".upper()),
            model="iPhone (iPhone15,4)", os_version="18.1", battery_level=0.85,
            storage_free_bytes=12_345_678_901, storage_total_bytes=64_000_000_000,
            last_contact_at=SEEN, owner=DeviceOwner(user_id=user_id, linked_at=SEEN,
                                                    source=LinkSource.MANUAL))]
    return await seed_owner(portal, bootstrap, "lena", phone)


# locale, browser zone, what the card and page say
CASES = {
    "en": ("en-US", "America/New_York", {"model": "iPhone 15", "battery": "85%",
           "seen": r"Mar 14, 2026, 5:26\sAM", "storage": "12.3\u00a0GB / 64.0\u00a0GB",
           "platform": "iPhone / iPad"}),
    "de": ("de-DE", "Europe/Berlin", {"model": "iPhone 15", "battery": "85\u00a0%",
           "seen": r"14\.03\.2026, 10:26", "storage": "12,3\u00a0GB / 64,0\u00a0GB",
           "platform": "iPhone / iPad"}),
}


def fact(scope, label: str):
    """The <dd> after the <dt> that says `label`."""
    return scope.locator("dt", has_text=label).locator("xpath=following-sibling::dd[1]")


@pytest.mark.parametrize("language", list(CASES))
async def test_numbers_dates_and_models_in_the_readers_language_and_zone(
        new_page, portal, owner, language):
    username, tag = owner
    locale, zone, shown = CASES[language]
    labels = {"en": ("Model", "Battery", "Last contact", "Storage"),
              "de": ("Modell", "Akku", "Letzter Kontakt", "Speicher")}[language]
    page = await new_page(locale, timezone=zone)
    await sign_in(page, portal, username)
    card = page.locator(f"li.card[data-device-id='fmt-{tag}']")
    await expect(fact(card, labels[0])).to_have_text(shown["model"])
    await expect(fact(card, labels[1])).to_contain_text(shown["battery"])
    await expect(fact(card, labels[2])).to_have_text(re.compile(shown["seen"]))
    await expect(card).not_to_contain_text("UTC")  # the zone is the reader's own
    await expect(card).not_to_contain_text("iPhone15,4")

    await page.goto(f"/devices/fmt-{tag}")
    await settled(page)
    details = page.locator("section[aria-labelledby=details-title]")
    await expect(fact(details, labels[3])).to_have_text(shown["storage"])
    await expect(fact(details, labels[2])).to_have_text(re.compile(shown["seen"]))
    await expect(page.locator("time[datetime='2026-03-14T09:26:00+00:00']")).to_have_count(1)


@pytest.mark.parametrize("language", list(CASES))
async def test_admins_read_platforms_and_permissions_in_words(new_page, portal, owner,
                                                                language):
    username, _ = owner
    locale, zone, shown = CASES[language]
    page = await new_page(locale, timezone=zone)
    await sign_in(page, portal, "admin")
    await page.goto(f"/admin/devices?username={username}")
    await expect(page.locator("tbody tr")).to_have_count(1)
    await expect(page.locator("tbody tr td").nth(2)).to_have_text(shown["platform"])
    await page.goto("/admin/roles")
    full = page.locator("tbody tr", has_text="full access")
    wipe = {"en": "Wipe the device", "de": "Gerät löschen"}[language]
    await expect(full).to_contain_text(wipe)
    await expect(page.locator("main")).not_to_contain_text("ssp.wipe")
    await expect(page.get_by_label(wipe)).to_have_count(1)  # the new role's checkbox
