"""sspctl, the admin CLI, against the session's real gateway (and a real device-registry for
imports and reservations): the saved session, tables, progress, reports, and a clear message
with exit status 1 for every failure."""

from __future__ import annotations

import asyncio
import csv
import os
import stat
import sys
from pathlib import Path

import pytest
from ssp_contracts.rpc import AdminReply, FieldProblem
from ssp_contracts.topics import LINKS_REQUESTS
from sspctl.cli import app
from typer.testing import CliRunner, Result

from tests.gateway.registry_process import LinkWorld, imports_projected, links, registry
from tests.support.kafka import Tail, json_of
from tests.support.waiting import eventually

_ = (registry, imports_projected, links)  # fixtures used by name
SSPCTL = Path(sys.executable).with_name("sspctl")  # the console script `uv sync` installs


@pytest.fixture
def config(tmp_path: Path) -> Path:
    return tmp_path / "conf" / "session.json"


async def sspctl(config: Path, *args: str, input: str | None = None,
                 **env: str) -> Result:
    """Runs in a thread: the CLI's blocking HTTP must not stall the responder on this loop."""
    runner = CliRunner()
    return await asyncio.to_thread(runner.invoke, app, list(args), input=input,
                                   env={"SSPCTL_CONFIG": str(config), **env})


async def logged_in(world, config: Path, permissions=("admin",)):
    account = await world.user(permissions=list(permissions))
    result = await sspctl(config, "login", "-u", account.username, "--org", account.org_id,
                          "--url", world.base_url, SSPCTL_PASSWORD=account.password)
    assert result.exit_code == 0, result.output
    return account


async def test_login_prompts_and_keeps_the_cookie_private(world, config):
    admin = await world.user(permissions=["admin"])
    proc = await asyncio.create_subprocess_exec(
        str(SSPCTL), "login", "--username", admin.username, "--org", admin.org_id,
        "--url", world.base_url, stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "SSPCTL_CONFIG": str(config), "SSPCTL_PASSWORD": ""})
    stdout, stderr = await proc.communicate((admin.password + "\n").encode())
    assert proc.returncode == 0, stderr.decode()
    assert admin.password not in (stdout + stderr).decode()  # the prompt does not echo
    assert stat.S_IMODE(config.stat().st_mode) == 0o600
    assert stat.S_IMODE(config.parent.stat().st_mode) == 0o700
    saved = config.read_text()
    assert admin.password not in saved and "ssp_session" in saved

    who = await sspctl(config, "whoami")
    assert who.exit_code == 0 and admin.username in who.output and "admin" in who.output
    out = await sspctl(config, "logout")
    assert out.exit_code == 0 and not config.exists()
    again = await sspctl(config, "whoami")
    assert again.exit_code == 1 and "run `sspctl login`" in again.output


async def test_failures_exit_1_with_the_problem(world, config):
    user = await world.user()
    wrong = await sspctl(config, "login", "-u", user.username, "--org", user.org_id,
                         "--url", world.base_url, SSPCTL_PASSWORD="not-" + user.password)
    assert wrong.exit_code == 1 and "HTTP 401" in wrong.output and not config.exists()
    await logged_in(world, config, permissions=())
    refused = await sspctl(config, "devices", "list")
    assert refused.exit_code == 1
    assert "HTTP 403 admin.required: This needs the administrator role." in refused.output
    config.unlink()
    nowhere = await sspctl(config, "login", "-u", "x", "--url", "http://127.0.0.1:9",
                           SSPCTL_PASSWORD="x")
    assert nowhere.exit_code == 1 and "Cannot reach the gateway" in nowhere.output
    usage = await sspctl(config, "reservations", "create", "colour", "x", "y")
    assert usage.exit_code == 2  # click's usage error, before any request


async def test_users_are_created_and_roles_set_through_the_admin_api(world, config):
    admin = await logged_in(world, config)
    world.responder.admin_replies[admin.user_id] = AdminReply(
        ok=True, status=201, data={"user_id": "u-carol", "username": "carol"})
    made = await sspctl(config, "users", "create", "carol", "--display-name", "Carol C",
                        "--role", "r-helpdesk", "--with-password",
                        SSPCTL_NEW_PASSWORD="carols-secret-1")
    assert made.exit_code == 0, made.output
    assert "Created user carol with id u-carol" in made.output
    [sent] = [r for r in world.responder.admin_requests if r["actor_user_id"] == admin.user_id]
    assert (sent["op"], sent["org_id"]) == ("create_user", world.org_id)
    assert sent["payload"]["password"] == "carols-secret-1"
    assert sent["payload"]["role_ids"] == ["r-helpdesk"]

    # The user is named by id: no username matches it.
    world.responder.admin_replies[(admin.user_id, "list_users")] = AdminReply(
        ok=True, status=200, data={"items": [], "page": 1, "page_size": 500, "has_next": False})
    world.responder.admin_replies[admin.user_id] = AdminReply(
        ok=False, status=422, code="role.unknown", message="No such role.",
        problems=[FieldProblem(field="role_ids", code="role.unknown", message="r-x unknown")])
    bad = await sspctl(config, "users", "set-roles", "u-carol", "r-x")
    assert bad.exit_code == 1
    assert "HTTP 422 role.unknown: No such role." in bad.output
    assert "role_ids: r-x unknown" in bad.output
    assert world.responder.admin_requests[-1]["payload"] == {"role_ids": ["r-x"]}
    assert world.responder.admin_requests[-1]["target_id"] == "u-carol"
    del world.responder.admin_replies[(admin.user_id, "list_users")]

    world.responder.admin_replies[admin.user_id] = AdminReply(ok=True, status=200, data={
        "items": [{"user_id": "u-carol", "username": "carol", "display_name": "Carol C",
                   "roles": [{"role_id": "r-helpdesk", "name": "Helpdesk"}],
                   "enabled": True}], "page": 1, "page_size": 50, "has_next": True})
    listed = await sspctl(config, "users", "list", "--query", "car")
    assert listed.exit_code == 0
    assert "u-carol" in listed.output and "Helpdesk" in listed.output
    assert "--page 2" in listed.output  # more than one page
    assert world.responder.admin_requests[-1]["payload"] == {
        "page": 1, "page_size": 50, "query": "car"}


async def test_devices_are_listed_linked_and_unlinked(world, config, bootstrap):
    await logged_in(world, config)
    alice = await world.user()
    await world.knows_access(await world.browser(alice))
    device = await world.device(None, name="Spare phone")
    serial = device.identifiers.serial_number

    async def listed() -> Result | None:
        result = await sspctl(config, "devices", "list", "--serial", serial)
        return result if device.device_id in result.output else None
    table = await eventually(listed, timeout_s=20, what="device listed")
    assert table.exit_code == 0 and "Spare phone" in table.output

    async with Tail(bootstrap, LINKS_REQUESTS) as tail:
        linked = await sspctl(config, "devices", "link", device.device_id, alice.username)
        assert linked.exit_code == 0, linked.output
        unlinked = await sspctl(config, "devices", "unlink", device.device_id)
        assert unlinked.exit_code == 0, unlinked.output
        records = await tail.wait_for(lambda r: r.key == device.device_id.encode(), count=2)
    assert [json_of(r)["user_id"] for r in records] == [alice.user_id, None]
    unknown = await sspctl(config, "devices", "link", device.device_id, "nobody-x")
    assert unknown.exit_code == 1 and "user.not_found" in unknown.output
    empty = await sspctl(config, "devices", "list", "--serial", "NO-SUCH-SERIAL")
    assert empty.exit_code == 0 and "No devices." in empty.output


async def test_csv_import_shows_progress_and_saves_the_report(links: LinkWorld, config,
                                                              tmp_path):
    people = await links.users("dora")
    devices = await links.devices("CLI1", "CLI2")
    await logged_in(links.world, config)
    upload = tmp_path / "links.csv"
    upload.write_text(f"serial_number,username\nCLI1,{people['dora'].username}\n"
                      f"CLI404,{people['dora'].username}\n")
    report = tmp_path / "report.csv"
    result = await sspctl(config, "import", str(upload), "--report", str(report))
    assert result.exit_code == 0, result.output
    assert "completed: linked 1, unknown_device 1" in result.output
    assert "2/2" in result.output  # the progress bar's last state
    rows = list(csv.DictReader(report.read_text(encoding="utf-8-sig").splitlines()))
    assert [(r["line"], r["outcome"]) for r in rows] == [("2", "linked"),
                                                          ("3", "unknown_device")]

    async def linked() -> bool:
        return await links.owner_of(devices["CLI1"]) == people["dora"].user_id
    await eventually(linked, what="imported link applied")

    upload.write_bytes(b"serial_number,name\nS1,a\n")
    refused = await sspctl(config, "import", str(upload), "--dry-run")
    assert refused.exit_code == 1 and "csv.missing_user_column" in refused.output
    assert "(line 1)" in refused.output


async def test_reservations_are_created_listed_and_deleted(links: LinkWorld, config):
    people = await links.users("emil")
    emil = people["emil"].username
    await logged_in(links.world, config)
    made = await sspctl(config, "reservations", "create", "serial_number", "cli 9", emil)
    assert made.exit_code == 0, made.output
    assert "Reserved serial_number CLI9" in made.output
    reservation_id = made.output.rsplit("(", 1)[1].split(")")[0]
    twice = await sspctl(config, "reservations", "create", "serial_number", "CLI9", emil)
    assert twice.exit_code == 1 and "reservation.exists" in twice.output
    listed = await sspctl(config, "reservations", "list")
    assert listed.exit_code == 0 and reservation_id in listed.output and "open" in listed.output
    gone = await sspctl(config, "reservations", "delete", reservation_id)
    assert gone.exit_code == 0
    again = await sspctl(config, "reservations", "delete", reservation_id)
    assert again.exit_code == 1 and "reservation.not_found" in again.output
    empty = await sspctl(config, "reservations", "list")
    assert "No reservations." in empty.output


async def test_the_help_desk_is_shown_and_set_field_by_field(world, config):
    await logged_in(world, config)
    none = await sspctl(config, "helpdesk", "show")
    assert none.exit_code == 0 and "No help-desk contact" in none.output
    first = await sspctl(config, "helpdesk", "set", "--name", "IT desk", "--phone", "+49 30 1")
    assert first.exit_code == 0, first.output
    second = await sspctl(config, "helpdesk", "set", "--email", "it@example.org")
    assert second.exit_code == 0, second.output
    shown = await sspctl(config, "helpdesk", "show")
    assert ("name: IT desk\nphone: +49 30 1\nemail: it@example.org\nweb: \n") == shown.output
    bad = await sspctl(config, "helpdesk", "set", "--web", "http://plain.example.org")
    assert bad.exit_code == 1
    assert "HTTP 422" in bad.output and "web: " in bad.output and "https://" in bad.output
    cleared = await sspctl(config, "helpdesk", "set", "--phone", "")
    assert cleared.exit_code == 0 and "phone: \n" in cleared.output


async def test_devices_list_shows_the_owners_label(world, config):
    await logged_in(world, config)
    owner = await world.user()
    phone = await world.device(owner, name="Phone of the MDM")
    b = await world.browser(owner)
    await world.sees_device(b, phone.device_id)
    resp = await b.http.put(f"/api/v1/devices/{phone.device_id}/label",
                            json={"label": "Mine"}, headers={"X-CSRF-Token": b.csrf})
    assert resp.status_code == 200, resp.text
    listed = await sspctl(config, "devices", "list", "--serial", phone.identifiers.serial_number)
    assert listed.exit_code == 0, listed.output
    assert "Phone of the MDM" in listed.output and "Mine" in listed.output
