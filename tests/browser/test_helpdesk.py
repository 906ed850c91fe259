"""The organisation's help-desk contact: set by an admin on its own page, shown to a person
wherever the portal tells them to ask their administrator (here: carol, who has no access).
"""

from __future__ import annotations

import uuid

import pytest

pytest.importorskip("playwright.async_api", reason="the playwright Python package is missing")

from playwright.async_api import expect

from tests.browser.pages import screenshot, sign_in


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
        helpdesk = page.get_by_role("complementary", name=title)
        await expect(helpdesk).to_contain_text(desk)
        await expect(helpdesk.get_by_role("link", name="+49 30 1234 567")).to_have_attribute(
            "href", "tel:+49301234567")
        await expect(helpdesk.get_by_role("link", name="help@example.org")).to_have_attribute(
            "href", "mailto:help@example.org")
        await expect(helpdesk.get_by_role("link", name="https://help.example.org/devices")
                     ).to_be_visible()
        await screenshot(page, f"no-access-helpdesk-{locale[:2]}")
