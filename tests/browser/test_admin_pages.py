"""Every admin page lists what it must: the users (searchable, with roles to grant and an
account to disable), the built-in roles, the devices with their owners, reservations and
imports. Each test reads the page as an administrator does."""

from __future__ import annotations

import uuid

import pytest

pytest.importorskip("playwright.async_api", reason="the playwright Python package is missing")

from playwright.async_api import Page, expect

from tests.browser.demo_org import FULL_ACCESS, READ_ACCESS, DemoOrg
from tests.browser.pages import screenshot, sign_in


def user_row(page: Page, username: str):
    return page.locator(f"#users tbody tr[data-username='{username}']")


async def search_users(page: Page, text: str) -> None:
    await page.get_by_label("Username, name or e-mail").fill(text)
    await page.locator("form[role=search] button[type=submit]").click()
    await expect(page.get_by_label("Username, name or e-mail")).to_have_value(text)


async def test_users_are_listed_searched_granted_roles_and_disabled(new_page, portal: DemoOrg):
    page = await new_page()
    await sign_in(page, portal, "admin")
    await page.get_by_role("link", name="Users", exact=True).click()
    await expect(page.get_by_role("heading", name="Users", exact=True).first).to_be_visible()
    for username in ("admin", "alice", "bob", "carol"):
        await expect(user_row(page, username)).to_have_count(1)
    await expect(user_row(page, "alice").get_by_label(FULL_ACCESS)).to_be_checked()
    await expect(user_row(page, "bob").get_by_label(READ_ACCESS)).to_be_checked()
    await expect(user_row(page, "bob").get_by_label(FULL_ACCESS)).not_to_be_checked()
    await screenshot(page, "admin-users")

    await search_users(page, "ALI")  # any case
    await expect(page.locator("#users tbody tr")).to_have_count(1)
    await expect(user_row(page, "alice")).to_have_count(1)

    username = f"uma-{uuid.uuid4().hex[:6]}"
    await page.locator("#new-username").fill(username)
    await page.locator("#new-password").fill(portal.password)
    await page.locator("form[method=post][action='/admin/users'] button[type=submit]").click()
    await expect(page.locator(".notice")).to_be_visible()
    await search_users(page, username)
    row = user_row(page, username)
    await expect(row.get_by_label(READ_ACCESS)).not_to_be_checked()
    await row.get_by_label(READ_ACCESS).check()
    await row.get_by_role("button", name=f"Save roles of {username}").click()
    await search_users(page, username)
    await expect(row.get_by_label(READ_ACCESS)).to_be_checked()
    await expect(row.get_by_label(FULL_ACCESS)).not_to_be_checked()

    await row.get_by_role("button", name=f"Disable {username}").click()
    await search_users(page, username)
    await expect(row.locator("[data-field=enabled]")).to_have_text("no")
    disabled = await new_page()
    await disabled.goto("/login")
    await disabled.locator("#username").fill(username)
    await disabled.locator("#password").fill(portal.password)
    await disabled.locator("form[action='/login'] button[type=submit]").click()
    await expect(disabled.get_by_role("alert")).to_be_visible()  # a disabled account is out
    await row.get_by_role("button", name=f"Enable {username}").click()
    await search_users(page, username)
    await expect(row.locator("[data-field=enabled]")).to_have_text("yes")


async def test_roles_lists_the_built_in_roles_and_a_new_one(new_page, portal: DemoOrg):
    page = await new_page()
    await sign_in(page, portal, "admin")
    await page.get_by_role("link", name="Roles", exact=True).click()
    roles = page.locator("#roles tbody tr")
    await expect(roles.filter(has_text=FULL_ACCESS)).to_have_count(1)
    await expect(roles.filter(has_text=READ_ACCESS)).to_contain_text("See own devices")
    name = f"Finders {uuid.uuid4().hex[:6]}"
    await page.locator("#role-name").fill(name)
    await page.get_by_label("Locate the device").check()
    await page.locator("form[action='/admin/roles'] button[type=submit]").click()
    await expect(roles.filter(has_text=name)).to_contain_text("Locate the device")
    await screenshot(page, "admin-roles")


async def test_device_links_lists_devices_with_their_owners(new_page, portal: DemoOrg):
    page = await new_page()
    await sign_in(page, portal, "admin")
    await page.get_by_role("link", name="Device links").click()
    await page.get_by_label("Platform").select_option("ios")
    await page.locator("form.filters button[type=submit]").click()
    owned = page.locator("tbody tr", has_text=portal.iphones[2].serial_number)
    await expect(owned.locator("input[name=username]").first).to_have_value("bob")
    alices = page.locator("tbody tr", has_text=portal.iphones[0].serial_number)
    await expect(alices.locator("input[name=username]").first).to_have_value("alice")
    assert portal.android is not None
    await expect(page.locator("tbody")).not_to_contain_text(portal.android.serial_number)
    await page.get_by_label("Username").fill("bob")
    await page.locator("form.filters button[type=submit]").click()
    await expect(page.locator("tbody tr")).to_have_count(1)
    await expect(page.locator("tbody tr")).to_contain_text(portal.iphones[2].serial_number)


async def test_reservations_lists_a_new_reservation(new_page, portal: DemoOrg):
    page = await new_page()
    await sign_in(page, portal, "admin")
    await page.get_by_role("link", name="Reservations").click()
    serial = f"RSV{uuid.uuid4().hex[:8].upper()}"
    await page.locator("#res-value").fill(serial)
    await page.locator("#res-user").fill("carol")
    await page.locator("form[action='/admin/reservations'] button[type=submit]").click()
    row = page.locator("tbody tr", has_text=serial)
    await expect(row).to_contain_text("carol")
    await expect(row).to_contain_text("Serial number")


async def test_imports_lists_an_import(new_page, portal: DemoOrg):
    filename = f"links-{uuid.uuid4().hex[:6]}.csv"
    async with portal.api_session("admin") as admin:
        made = await admin.post("/api/v1/admin/imports", data={"dry_run": "true"}, files={
            "file": (filename, b"serial_number,username\nNOSUCH1,alice\n", "text/csv")})
        assert made.status_code == 202, made.text
    page = await new_page()
    await sign_in(page, portal, "admin")
    await page.get_by_role("link", name="CSV import").first.click()
    await expect(page.get_by_role("link", name=filename)).to_be_visible()
