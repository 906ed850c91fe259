"""What a person reads about a device in each state: active, lost mode, erase pending,
erased, no longer managed, never contacted; on the list (a badge) and on the device's page
(one sentence instead of a list of identical reasons, no empty "Actions").

The states are the registry's folds (tests/integration/test_registry.py covers them); here
their snapshots go on `ssp.devices` as the registry publishes them, for devices of a user of
their own, so every state can be shown side by side. The real lost mode and erase, from the
device page to the simulated iPhone and back, are in test_device_actions.py.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

pytest.importorskip("playwright.async_api", reason="the playwright Python package is missing")

from playwright.async_api import Page, expect
from ssp_contracts.devices import DeviceIdentifiers, DeviceOwner, DeviceSnapshot
from ssp_contracts.enums import LinkSource, ManagementMode, Platform

from tests.browser.demo_org import DemoOrg
from tests.browser.pages import screenshot, settled, sign_in
from tests.browser.seeded_devices import seed_owner

SEEN = datetime.now(UTC) - timedelta(minutes=5)
# status -> (name, snapshot fields, badge, sentence on the page or None)
STATES: dict[str, tuple[str, dict, str | None, str | None]] = {
    "active": ("Work phone", {}, None, None),
    "lost_mode": ("Lost phone", {"lost_mode": True}, "Lost mode",
                  "The device is locked in lost mode."),
    "wipe_pending": ("Phone being erased", {"wipe_state": "pending"}, "Erase pending",
                     "An erase of this device is in progress."),
    "wiped": ("Erased phone", {"wipe_state": "wiped", "lost_mode": True}, "Erased",
              "This device has been erased."),
    "unenrolled": ("Old phone", {"enrolled": False}, "No longer managed",
                   "This device is no longer managed"),
    "never_contacted": ("New phone", {"last_contact_at": None}, "Never contacted",
                        "has not contacted the portal"),
}
FINAL = {"wipe_pending", "wiped", "unenrolled"}  # no action at all


def snapshot(demo: DemoOrg, user_id: str, tag: str, status: str) -> DeviceSnapshot:
    name, fields, _, _ = STATES[status]
    return DeviceSnapshot(**{
        "org_id": demo.org, "device_id": f"state-{tag}-{status}", "version": 1,
        "platform": Platform.IOS, "management_mode": ManagementMode.IOS_SUPERVISED,
        "identifiers": DeviceIdentifiers(serial_number=f"ST{tag}{len(status)}".upper()),
        "name": name, "model": "iPhone15,2", "os_version": "18.1", "last_contact_at": SEEN,
        "owner": DeviceOwner(user_id=user_id, linked_at=SEEN - timedelta(days=1),
                             source=LinkSource.MANUAL), **fields})


@pytest.fixture(scope="module")
async def owner(portal: DemoOrg, bootstrap: str) -> tuple[str, str]:
    """A user holding one device in every state, for the whole module; (username, tag)."""
    return await seed_owner(portal, bootstrap, "sam", lambda user_id, tag: [
        snapshot(portal, user_id, tag, status) for status in STATES])


def card(page: Page, tag: str, status: str):
    return page.locator(f"li.card[data-device-id='state-{tag}-{status}']")


async def test_each_state_has_its_badge_on_the_list(new_page, portal, owner):
    username, tag = owner
    page = await new_page()
    await sign_in(page, portal, username)
    await expect(page.locator("li.card")).to_have_count(len(STATES))
    for status, (name, _, badge, _) in STATES.items():
        await expect(card(page, tag, status).get_by_role("heading")).to_have_text(name)
        if badge is None:
            await expect(card(page, tag, status).locator(".badge")).to_have_count(0)
        else:
            await expect(card(page, tag, status).locator(".badge")).to_have_text(badge)
    await expect(card(page, tag, "never_contacted")).to_contain_text("Last contactnever")
    await screenshot(page, "device-states")


@pytest.mark.parametrize("status", list(STATES))
async def test_each_state_reads_as_one_clear_page(new_page, portal, owner, status):
    username, tag = owner
    name, _, badge, sentence = STATES[status]
    page = await new_page()
    await sign_in(page, portal, username)
    await page.goto(f"/devices/state-{tag}-{status}")
    await settled(page)
    await expect(page.get_by_role("heading", level=1)).to_have_text(name)
    badges = page.locator("[data-device-id] > .badge")
    if badge is None:
        await expect(badges).to_have_count(0)
    else:
        await expect(badges).to_have_text(badge)
    if sentence is not None:
        await expect(page.get_by_text(sentence)).to_have_count(1)
    actions = page.get_by_role("heading", name="Actions")
    if status in FINAL:
        await expect(actions).to_have_count(0)
        await expect(page.locator("ul.unavailable")).to_have_count(0)
        await expect(page.get_by_text("has been erased")).to_have_count(
            1 if status == "wiped" else 0)
        await expect(page.get_by_role("heading", name="Lost mode")).to_have_count(0)
    else:
        await expect(actions).to_be_visible()
        await expect(page.locator("ul.actions button").first).to_be_visible()
    if status in ("wiped", "never_contacted"):
        await screenshot(page, f"device-{status.replace('_', '-')}")


async def test_the_admin_device_list_shows_the_states_too(new_page, portal, owner):
    username, _ = owner
    page = await new_page()
    await sign_in(page, portal, "admin")
    await page.goto(f"/admin/devices?username={username}")
    rows = page.locator("tbody tr")
    await expect(rows).to_have_count(len(STATES))
    for name, _, badge, _ in STATES.values():
        row = rows.filter(has_text=name)
        if badge is None:
            await expect(row.locator(".badge")).to_have_count(0)
        else:
            await expect(row.locator(".badge")).to_have_text(badge)
