"""CSV link imports through the real gateway upload, decided and applied by a real
device-registry: every outcome, the format variants admins' tools write, dry runs, limits,
file-level errors, the downloadable report (formulas neutralised) and org scoping."""

from __future__ import annotations

import csv
import io
import uuid

import pytest
from ssp_contracts.enums import LinkSource
from ssp_contracts.links import LinkRequested
from ssp_contracts.topics import LINKS_REQUESTS

from tests.gateway.portal_world import Browser
from tests.gateway.registry_process import LinkWorld, imports_projected, links, registry
from tests.support.kafka import Tail, json_of
from tests.support.waiting import eventually

_ = (registry, imports_projected, links)  # fixtures used by name


async def upload(browser: Browser, content: bytes, *, dry_run: bool = False,
                 filename: str = "links.csv"):
    return await browser.http.post(
        "/api/v1/admin/imports", files={"file": (filename, content, "text/csv")},
        data={"dry_run": "true" if dry_run else "false"},
        headers={"X-CSRF-Token": browser.csrf})


async def completed(browser: Browser, import_id: str) -> dict:
    async def probe() -> dict | None:
        body = (await browser.http.get(f"/api/v1/admin/imports/{import_id}")).json()
        return body if body["status"] == "completed" else None
    return await eventually(probe, timeout_s=30, what=f"import {import_id} completed")


async def report(browser: Browser, import_id: str) -> list[dict[str, str]]:
    resp = await browser.http.get(f"/api/v1/admin/imports/{import_id}/report.csv")
    assert resp.status_code == 200 and resp.headers["content-type"].startswith("text/csv")
    assert resp.content.startswith("\ufeff".encode())  # Excel reads umlauts right
    return list(csv.DictReader(io.StringIO(resp.content.decode("utf-8-sig"))))


async def admin_of(links: LinkWorld) -> Browser:
    return await links.world.browser(await links.world.user(permissions=["admin"]))


async def import_ok(browser: Browser, content: bytes, **options) -> tuple[dict, list[dict]]:
    resp = await upload(browser, content, **options)
    assert resp.status_code == 202, resp.text
    import_id = resp.json()["import_id"]
    return await completed(browser, import_id), await report(browser, import_id)


async def test_every_outcome_is_applied_and_reported_by_line(links: LinkWorld):
    people = await links.users("alice", "bob")
    alice, bob = people["alice"].username, people["bob"].username
    devices = await links.devices("S1", "S2", "S3", "S4")
    for serial, owner in (("S2", "alice"), ("S3", "bob")):
        await links.world.producer.send_event(LINKS_REQUESTS, LinkRequested(
            org_id=links.world.org_id, request_id=str(uuid.uuid4()), device_id=devices[serial],
            user_id=people[owner].user_id, source=LinkSource.MANUAL, requested_by="admin-1"))

    async def owned() -> bool:
        return (await links.owner_of(devices["S2"]), await links.owner_of(devices["S3"])) == (
            people["alice"].user_id, people["bob"].user_id)
    await eventually(owned, what="manual links applied")
    admin = await admin_of(links)
    content = (f"serial_number,username,note\nS1,{alice.upper()},first\n"
               f"s 2,{alice},same owner\nS3,{alice},was bob's\nS404,{alice},no such device\n"
               f"S4,nobody-{alice},no such user\nS1,{bob},again\n,{alice},empty serial\n"
               f"S5,al\x07ice,bell\n").encode()
    status, rows = await import_ok(admin, content)
    assert (status["total"], status["done"], status["dry_run"]) == (8, 8, False)
    assert status["counts"] == {"linked": 1, "unchanged": 1, "relinked": 1,
                                "unknown_device": 1, "unknown_user": 1,
                                "duplicate_in_file": 1, "invalid": 2}
    assert [(r["line"], r["outcome"]) for r in rows] == [
        ("2", "linked"), ("3", "unchanged"), ("4", "relinked"), ("5", "unknown_device"),
        ("6", "unknown_user"), ("7", "duplicate_in_file"), ("8", "invalid"), ("9", "invalid")]
    assert rows[5]["detail"] == "serial_number already on line 2; the first row wins"
    assert rows[7]["detail"] == "username contains a control character or line break"
    assert await links.owner_of(devices["S1"]) == people["alice"].user_id
    assert await links.owner_of(devices["S3"]) == people["alice"].user_id
    # The portal's own projection follows the registry's snapshots.
    await links.world.sees_device(await links.world.browser(people["alice"]), devices["S1"])


async def test_excel_and_other_spellings_in_a_dry_run_apply_nothing(links: LinkWorld):
    people = await links.users("anna", "jörg")
    anna, joerg = people["anna"].username, people["jörg"].username
    devices = await links.devices("DE1", "DE2", "DE3", "DE4")
    admin = await admin_of(links)
    # German Excel: BOM, semicolons, CRLF, quoted fields with the delimiter, blank lines.
    excel = ("\ufeffSeriennummer;serial_number;username\r\n"
             f'"Büro; 2. OG";DE1;{anna}\r\n\r\n;;\r\n'
             f'x;"DE2";"{joerg}"\r\n').encode()
    status, rows = await import_ok(admin, excel, dry_run=True)
    assert status["dry_run"] and status["total"] == 2
    assert [(r["line"], r["device_key"], r["outcome"]) for r in rows] == [
        ("2", "DE1", "linked"), ("5", "DE2", "linked")]
    # Comma, quoted fields spanning lines, LF and blank lines, e-mail column.
    plain = (f'serial_number,username\n"DE3",{anna}\n\n"DE\n4",{joerg}\nDE4,{joerg}\n').encode()
    status, rows = await import_ok(admin, plain, dry_run=True)
    assert [(r["line"], r["outcome"]) for r in rows] == [
        ("2", "linked"), ("4", "invalid"), ("6", "linked")]
    for device_id in devices.values():
        assert await links.owner_of(device_id) is None  # a dry run applies nothing


async def test_report_neutralises_formulas(links: LinkWorld):
    people = await links.users("eve")
    admin = await admin_of(links)
    content = ('serial_number,username\n"=HYPERLINK(""http://x"")",+eve\n'
               f"@SUM(A1),{people['eve'].username}\n-2+3,=cmd\n").encode()
    _, rows = await import_ok(admin, content)
    assert [(r["device_key"], r["user_key"]) for r in rows] == [
        ("'=HYPERLINK(\"HTTP://X\")", "'+eve"), ("'@SUM(A1)", people["eve"].username),
        ("'-2+3", "'=cmd")]


@pytest.mark.parametrize(("content", "code", "line"), [
    (b"serial_number,name\nS1,a\n", "csv.missing_user_column", 1),
    (b'serial_number,username\nS1,a\n"S2,b\n', "csv.malformed", 3),
    ("serial_number,username\nS1,J\u00f6rg\n".encode("latin-1"), "csv.encoding", 2),
    (b"", "csv.empty", None),
])
async def test_unusable_files_are_refused_with_code_and_line(links: LinkWorld, content, code,
                                                             line):
    admin = await admin_of(links)
    resp = await upload(admin, content)
    assert resp.status_code == 422, resp.text
    problem = resp.json()
    assert resp.headers["content-type"].startswith("application/problem+json")
    assert (problem["code"], problem["line"]) == (code, line)


async def test_limits_refuse_the_whole_file_and_send_nothing(links: LinkWorld, bootstrap):
    admin = await admin_of(links)
    mine = lambda r: json_of(r)["org_id"] == links.world.org_id  # noqa: E731
    async with Tail(bootstrap, LINKS_REQUESTS) as sent:
        many = b"serial_number,username\n" + b"".join(
            b"S%d,u\n" % i for i in range(200_001))
        resp = await upload(admin, many)
        assert resp.status_code == 422 and resp.json()["code"] == "csv.too_many_rows"
        assert resp.json()["line"] == 200_002
        huge = b"serial_number,username\n" + b"S1,u\n" * (21 * 1024 * 1024 // 5)
        resp = await upload(admin, huge)
        assert resp.status_code == 413 and resp.json()["code"] == "upload.too_large"
        await sent.poll(1.0)
        assert not [r for r in sent.seen if mine(r)]


async def test_imports_are_admin_only_and_scoped_to_the_org(links: LinkWorld, world):
    admin = await admin_of(links)
    status, _ = await import_ok(admin, b"serial_number,username\nS1,nobody\n")
    import_id = status["import_id"]
    world.org_id = f"org-{uuid.uuid4().hex[:8]}"  # another org's admin
    stranger = await world.browser(await world.user(permissions=["admin"]))
    for path in (f"/api/v1/admin/imports/{import_id}",
                 f"/api/v1/admin/imports/{import_id}/report.csv"):
        resp = await stranger.http.get(path)
        assert resp.status_code == 404 and resp.json()["code"] == "import.not_found"
    user = await world.browser(await world.user())
    resp = await upload(user, b"serial_number,username\nS1,a\n")
    assert resp.status_code == 403
