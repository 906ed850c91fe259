"""The organisation's help-desk contact: set by an admin on its own page, shown to a person
wherever the portal tells them to ask their administrator (here: carol, who has no access).
"""

from __future__ import annotations

import uuid

import pytest

pytest.importorskip("playwright.async_api", reason="the playwright Python package is missing")

from playwright.async_api import Locator, Page, expect

from tests.browser.pages import screenshot, sign_in


async def shows_contact(page: Page, title: str, name: str, phone: str, tel: str,
                        email: str) -> Locator:
    """The help-desk box titled `title` names the desk and links its phone and e-mail."""
    helpdesk = page.get_by_role("complementary", name=title)
    await expect(helpdesk).to_contain_text(name)
    await expect(helpdesk.get_by_role("link", name=phone)).to_have_attribute("href", tel)
    await expect(helpdesk.get_by_role("link", name=email)).to_have_attribute(
        "href", f"mailto:{email}")
    return helpdesk


async def test_an_admin_sets_the_help_desk_and_people_without_access_see_it(new_page, portal):
    desk = f"IT service desk {uuid.uuid4().hex[:4]}"
    admin = await new_page()
    await sign_in(admin, portal, "admin")
    await admin.get_by_role("link", name="Help desk").click()
    await admin.get_by_label("Name").fill(desk)
    await admin.get_by_label("Phone").fill("+49 30 1234 567")
    await admin.get_by_label("E-mail").fill("help@example.org")
    await admin.get_by_label("Web").fill("javascript:alert(1)")
    await admin.get_by_role("button", name="Save").click()
    await expect(admin.get_by_role("alert")).to_have_text(
        "Give a web address starting with https://.")
    await expect(admin.get_by_label("Web")).to_have_attribute("aria-invalid", "true")
    await admin.get_by_label("Web").fill("https://help.example.org/devices")
    await admin.get_by_role("button", name="Save").click()
    await expect(admin.get_by_role("status")).to_have_text("Saved.")
    await expect(admin.get_by_label("Name")).to_have_value(desk)  # kept, shown again

    for locale, title, ask in (("en-GB", "Your help desk", "Ask your administrator"),
                               ("de-DE", "Ihr Helpdesk", "Administration")):
        page = await new_page(locale)
        await sign_in(page, portal, "carol")
        await expect(page.get_by_role("alert").first).to_contain_text(ask)
        helpdesk = await shows_contact(page, title, desk, "+49 30 1234 567", "tel:+49301234567",
                                       "help@example.org")
        await expect(helpdesk.get_by_role("link", name="https://help.example.org/devices")
                     ).to_be_visible()
        await screenshot(page, f"no-access-helpdesk-{locale[:2]}")


@pytest.mark.parametrize(("locale", "title", "ask"), [
    ("en-GB", "Your help desk", "Ask your administrator to link your device"),
    ("de-DE", "Ihr Helpdesk", "Administration")])
async def test_a_person_without_a_device_sees_the_contact_the_api_set(new_page, portal, locale,
                                                                      title, ask):
    """Set over the admin API (as sspctl does), shown where the portal says no device is
    linked yet; every signed-in user reads it over the API too."""
    desk = f"Service desk {uuid.uuid4().hex[:4]}"
    contact = {"name": desk, "phone": "+49 89 555 0100", "email": "desk@example.org",
               "web": "https://desk.example.org"}
    async with portal.api_session("admin") as admin:
        saved = await admin.put("/api/v1/admin/helpdesk", json=contact)
        assert saved.status_code == 200, saved.text
    username = f"nadia-{uuid.uuid4().hex[:6]}"
    await portal.create_user(username)  # full access, no device
    async with portal.api_session(username) as api:
        assert (await api.get("/api/v1/helpdesk")).json() == contact
    page = await new_page(locale)
    await sign_in(page, portal, username)
    await expect(page.get_by_role("alert").first).to_contain_text(ask)
    await shows_contact(page, title, desk, "+49 89 555 0100", "tel:+49895550100",
                        "desk@example.org")
    await screenshot(page, f"no-device-helpdesk-{locale[:2]}")
