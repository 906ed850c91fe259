"""CSV imports as an attacker would try them, through the gateway and a real device-registry:
every spreadsheet formula trigger (tab and carriage return too, and DDE) comes back in the
report as text, and files that are not CSV at all are refused whole with a problem and nothing
sent. The basic =, +, -, @ cases, bad encodings, row and byte limits: tests/gateway/test_imports."""

from __future__ import annotations

import pytest
from ssp_contracts.topics import LINKS_REQUESTS

from tests.gateway.registry_process import LinkWorld, imports_projected, links, registry
from tests.gateway.test_imports import admin_of, import_ok, upload
from tests.support.images import one_pixel_png
from tests.support.kafka import Tail, json_of

_ = (registry, imports_projected, links)  # fixtures used by name


SPREADSHEET_ATTACKS = [
    "=cmd|' /C calc'!A0",  # DDE
    "\t=1+1",
    "\r=1+1",
    "+SUM(1;2)",
    "-1+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
]


async def test_every_formula_trigger_is_text_in_the_report(links: LinkWorld):
    admin = await admin_of(links)
    rows = "".join(f'"{attack}","{attack}"\n' for attack in SPREADSHEET_ATTACKS)
    _, report = await import_ok(admin, ("serial_number,username\n" + rows).encode(),
                                dry_run=True)
    cells = [cell for row in report for cell in (row["device_key"], row["user_key"],
                                                 row["detail"])]
    assert len(report) == len(SPREADSHEET_ATTACKS)
    live = [c for c in cells if c and c[0] in "=+-@\t\r"]
    assert live == []


@pytest.mark.parametrize(("name", "content"), [
    ("a PNG picture", one_pixel_png()),
    ("a zip archive", b"PK\x03\x04" + bytes(range(256)) * 8),
    ("one endless line", b"serial_number,username\n" + b"S" * (2 * 1024 * 1024) + b",a\n"),
])
async def test_files_that_are_not_usable_csv_are_refused_whole(links: LinkWorld, bootstrap,
                                                               name, content):
    admin = await admin_of(links)
    async with Tail(bootstrap, LINKS_REQUESTS) as sent:
        resp = await upload(admin, content, filename="links.csv")
        assert 400 <= resp.status_code < 500, (name, resp.status_code, resp.text[:200])
        assert resp.headers["content-type"].startswith("application/problem+json")
        assert resp.json()["code"].startswith(("csv.", "upload."))
        await sent.poll(0.5)
    assert [r for r in sent.seen if json_of(r)["org_id"] == links.world.org_id] == []


async def test_nul_bytes_make_a_row_invalid_not_a_crash(links: LinkWorld):
    admin = await admin_of(links)
    people = await links.users("nul")
    name = people["nul"].username
    status, report = await import_ok(
        admin, f"serial_number,username\nS1\x00,{name}\nS2,{name}\x00\n".encode(),
        dry_run=True)
    assert status["total"] == 2
    assert all(row["outcome"] != "linked" for row in report), report


async def test_an_upload_without_a_file_part_is_a_clear_422(links: LinkWorld):
    admin = await admin_of(links)
    resp = await admin.http.post("/api/v1/admin/imports", data={"dry_run": "true"},
                                 headers={"X-CSRF-Token": admin.csrf})
    assert resp.status_code == 422
    assert resp.headers["content-type"].startswith("application/problem+json")
