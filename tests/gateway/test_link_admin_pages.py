"""The admin pages for CSV imports and reservations: upload form, progress, report table,
download link, reservation list/create/delete; in English and German."""

from __future__ import annotations

import re

from tests.gateway.registry_process import LinkWorld, imports_projected, links, registry
from tests.gateway.test_web_pages import hidden, page_login
from tests.support.waiting import eventually

_ = (registry, imports_projected, links)  # fixtures used by name


async def test_upload_form_progress_and_report_table(links: LinkWorld):
    people = await links.users("pia")
    devices = await links.devices("PG1")
    admin = await links.world.user(permissions=["admin"])
    http = await page_login(links.world, admin)
    form = await http.get("/admin/imports")
    assert form.status_code == 200 and 'enctype="multipart/form-data"' in form.text
    content = f"serial_number;username\nPG1;{people['pia'].username}\nPG404;x\n".encode()
    resp = await http.post("/admin/imports", data={
        "csrf_token": hidden(form.text, "csrf_token")},
        files={"file": ("links.csv", content, "text/csv")})  # no dry_run: a real import
    assert resp.status_code == 303, resp.text
    page_url = resp.headers["location"]
    assert re.fullmatch(r"/admin/imports/imp-[0-9a-f]+", page_url)

    async def finished() -> str | None:
        page = await http.get(page_url)
        return page.text if "report.csv" in page.text else None
    page = await eventually(finished, what="report on the import page")
    assert "PG404" in page and "unknown device" in page and "<progress" in page
    assert await links.owner_of(devices["PG1"]) == people["pia"].user_id
    listing = await http.get("/admin/imports")
    assert "links.csv" in listing.text and "completed" in listing.text

    http.cookies.set("ssp_locale", "de")
    german = await http.get(page_url)
    assert "Bericht herunterladen" in german.text and "Gerät unbekannt" in german.text
    http.cookies.set("ssp_locale", "en")
    broken = await http.post("/admin/imports", data={
        "csrf_token": hidden(form.text, "csrf_token"), "dry_run": "on"},
        files={"file": ("x.csv", b"serial_number,nothing\nS1,a\n", "text/csv")})
    assert broken.status_code == 422 and "Line 1:" in broken.text
    assert "no user column" in broken.text


async def test_reservation_page_creates_lists_and_deletes(links: LinkWorld):
    people = await links.users("rita")
    admin = await links.world.user(permissions=["admin"])
    http = await page_login(links.world, admin)
    page = await http.get("/admin/reservations")
    assert page.status_code == 200
    token = hidden(page.text, "csrf_token")
    made = await http.post("/admin/reservations", data={
        "csrf_token": token, "kind": "serial_number", "value": "rp 1",
        "username": people["rita"].username, "expires_at": "2099-01-01T12:00"})
    assert made.status_code == 303 and made.headers["location"].endswith("notice=saved")
    listed = await http.get("/admin/reservations")
    # The expiry as a <time> (the browser shows it in its own zone), entered as UTC.
    assert "RP1" in listed.text and 'datetime="2099-01-01T12:00:00+00:00"' in listed.text
    action = re.search(r'action="(/admin/reservations/res-[0-9a-f]+/delete)"', listed.text)
    assert action
    refused = await http.post("/admin/reservations", data={
        "csrf_token": token, "kind": "serial_number", "value": "RP1",
        "username": people["rita"].username})
    assert refused.status_code == 409 and "already reserved" in refused.text
    deleted = await http.post(action.group(1), data={"csrf_token": token})
    assert deleted.status_code == 303
    assert "RP1" not in (await http.get("/admin/reservations")).text
