"""sspctl: log in once, then administer users, roles, device links, CSV imports,
enrollment reservations and the help-desk contact through the gateway's admin API
(/api/v1/admin)."""

from __future__ import annotations

import functools
import os
import time
from collections.abc import Callable, Iterable
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from sspctl import session_file
from sspctl.gateway_client import CliError, Gateway
from sspctl.session_file import NotLoggedIn, SavedSession

PASSWORD_ENV = "SSPCTL_PASSWORD"  # noqa: S105 - the name of a variable, not a password
NEW_PASSWORD_ENV = "SSPCTL_NEW_PASSWORD"  # noqa: S105
URL_ENV = "SSPCTL_URL"
F = TypeVar("F", bound=Callable[..., Any])
DEFAULT_URL = "http://127.0.0.1:8000"



class Platform(StrEnum):
    """The values the admin API's `platform` filter takes (ssp_contracts' Platform; sspctl
    installs without the portal's libraries)."""

    IOS = "ios"
    MACOS = "macos"
    ANDROID = "android"
    WINDOWS = "windows"


app = typer.Typer(help=__doc__, no_args_is_help=True, pretty_exceptions_enable=False)
users = typer.Typer(help="Accounts: list, create, set roles, disable, enable.",
                    no_args_is_help=True)
roles = typer.Typer(help="Roles: list.", no_args_is_help=True)
devices = typer.Typer(help="Devices: list, link to a user, unlink.", no_args_is_help=True)
reservations = typer.Typer(help="Enrollment reservations: list, create, delete.",
                           no_args_is_help=True)
app.add_typer(users, name="users")
app.add_typer(roles, name="roles")
app.add_typer(devices, name="devices")
helpdesk = typer.Typer(help="The help-desk contact users are told to ask: show, set.",
                       no_args_is_help=True)
app.add_typer(reservations, name="reservations")
app.add_typer(helpdesk, name="helpdesk")
out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)


def gateway() -> Gateway:
    return Gateway.of(session_file.load())


def command(group: typer.Typer, name: str | None = None) -> Callable[[F], F]:
    """`group.command`, with every known failure shown as one message on stderr and exit
    status 1 (usage errors keep click's message and status 2)."""
    def register(func: F) -> F:
        @functools.wraps(func)
        def handled(*args: Any, **kwargs: Any) -> Any:
            try:
                return func(*args, **kwargs)
            except (CliError, NotLoggedIn) as exc:
                err.print(f"Error: {exc}", highlight=False, markup=False)
                raise typer.Exit(1) from None
        group.command(name)(handled)
        return func
    return register


# --- session -------------------------------------------------------------------------------

@command(app)
def login(
    username: Annotated[str, typer.Option("--username", "-u", help="Your admin username")],
    org: Annotated[str | None, typer.Option(help="Organisation (the gateway's default if "
                                            "absent)")] = None,
    url: Annotated[str, typer.Option(envvar=URL_ENV, help="The gateway's base URL")
                   ] = DEFAULT_URL,
) -> None:
    """Log in; the password is prompted for (or read from $SSPCTL_PASSWORD), never a flag."""
    password = os.environ.get(PASSWORD_ENV) or typer.prompt("Password", hide_input=True)
    body: dict[str, Any] = {"username": username, "password": password}
    if org:
        body["org"] = org
    with Gateway(url) as gw:
        data = gw.json("POST", "/session", json=body)
        cookies = gw.cookies()
    if not cookies:
        raise CliError("The gateway accepted the login but set no session cookie.")
    saved = session_file.save(SavedSession(url=url, username=data["username"],
                                           org_id=data["org_id"],
                                           csrf_token=data["csrf_token"], cookies=cookies))
    out.print(f"Logged in to {url} as {data['username']} (org {data['org_id']}); "
              f"session saved in {saved}")


@command(app)
def logout() -> None:
    """End the session on the gateway and delete the saved one."""
    try:
        with gateway() as gw:
            gw.request("DELETE", "/session", expect=(204, 401))
    finally:
        session_file.forget()
    out.print("Logged out.")


@command(app)
def whoami() -> None:
    """Who the saved session belongs to."""
    with gateway() as gw:
        me = gw.json("GET", "/me")
    admin = "admin" if me["is_admin"] else "not an admin"
    out.print(f"{me['username']} ({me['user_id']}) in org {me['org_id']}: {admin}")


# --- users and roles -----------------------------------------------------------------------

@command(users, "list")
def users_list(
    query: Annotated[str | None, typer.Option(
        "--query", "-q", help="Only users whose username, name or e-mail contains it")] = None,
    page: Annotated[int, typer.Option(min=1)] = 1,
) -> None:
    """The organisation's accounts."""
    params: dict[str, Any] = {"page": page}
    if query:
        params["q"] = query
    with gateway() as gw:
        listed = gw.json("GET", "/admin/users", params=params)["data"]
    table(["id", "username", "display name", "roles", "enabled"],
          ([u.get("user_id"), u.get("username"), u.get("display_name"),
            ", ".join(role_names(u.get("roles"))), u.get("enabled")]
           for u in listed["items"]), empty="No users.")
    more_pages(listed, page)


@command(users, "create")
def users_create(
    username: str,
    display_name: Annotated[str | None, typer.Option()] = None,
    email: Annotated[str | None, typer.Option()] = None,
    locale: Annotated[str, typer.Option(help="en or de")] = "en",
    role: Annotated[list[str] | None, typer.Option("--role", help="Role id (repeatable)")
                    ] = None,
    with_password: Annotated[bool, typer.Option(
        "--with-password", help="Give a password (prompted, or $SSPCTL_NEW_PASSWORD); "
        "without it the account signs in through the identity provider only")] = False,
) -> None:
    """Create an account."""
    body: dict[str, Any] = {"username": username, "display_name": display_name,
                            "email": email, "locale": locale, "role_ids": role or []}
    if with_password:
        body["password"] = os.environ.get(NEW_PASSWORD_ENV) or typer.prompt(
            f"Password for {username}", hide_input=True, confirmation_prompt=True)
    with gateway() as gw:
        data = gw.json("POST", "/admin/users", json=body, expect=(200, 201))["data"]
    out.print(f"Created user {data.get('username')} with id {data.get('user_id')}")


USER_HELP = "The user's username or id"


@command(users, "set-roles")
def users_set_roles(
    user: Annotated[str, typer.Argument(help=USER_HELP)],
    role_ids: Annotated[list[str] | None, typer.Argument(help="Every role the user keeps; "
                                                        "none removes them all")] = None,
) -> None:
    """Replace a user's roles."""
    with gateway() as gw:
        data = gw.json("PUT", f"/admin/users/{user_named(gw, user)}/roles",
                       json={"roles": role_ids or []})["data"]
    names = ", ".join(role_names(data.get("roles"))) or "none"
    out.print(f"Roles of {data.get('username', user)}: {names}")


@command(users, "disable")
def users_disable(user: Annotated[str, typer.Argument(help=USER_HELP)]) -> None:
    """Disable an account: it can no longer sign in."""
    set_enabled(user, enabled=False)


@command(users, "enable")
def users_enable(user: Annotated[str, typer.Argument(help=USER_HELP)]) -> None:
    """Enable a disabled account again."""
    set_enabled(user, enabled=True)


def set_enabled(user: str, *, enabled: bool) -> None:
    with gateway() as gw:
        data = gw.json("PATCH", f"/admin/users/{user_named(gw, user)}",
                       json={"enabled": enabled})["data"]
    out.print(f"{data.get('username', user)} is {'enabled' if enabled else 'disabled'}")


def user_named(gw: Gateway, name: str) -> str:
    """The id of the user with this username (any case); otherwise `name` is taken as the id."""
    listed = gw.json("GET", "/admin/users", params={"q": name, "page_size": 500})["data"]
    found = [u["user_id"] for u in listed["items"]
             if str(u.get("username", "")).lower() == name.lower()]
    return found[0] if found else name


@command(roles, "list")
def roles_list() -> None:
    """The organisation's roles (built-in first)."""
    with gateway() as gw:
        listed = gw.json("GET", "/admin/roles", params={"page_size": 500})["data"]
    table(["id", "name", "permissions", "built-in"],
          ([r.get("role_id"), r.get("name"), ", ".join(r.get("permissions") or ()),
            r.get("builtin")] for r in listed["items"]), empty="No roles.")


def more_pages(listed: dict[str, Any], page: int) -> None:
    if listed.get("has_next"):
        err.print(f"More on the next page: --page {page + 1}", highlight=False)


def role_names(roles: Any) -> list[str]:
    return [str(r.get("name") or r.get("role_id")) if isinstance(r, dict) else str(r)
            for r in roles or ()]


# --- devices -------------------------------------------------------------------------------

@command(devices, "list")
def devices_list(
    serial_number: Annotated[str | None, typer.Option("--serial", help="Exact serial")] = None,
    platform: Annotated[Platform | None, typer.Option(help="The device's platform")] = None,
    user: Annotated[str | None, typer.Option(help="Owner's username")] = None,
    page: Annotated[int, typer.Option(min=1)] = 1,
) -> None:
    """Search the organisation's devices."""
    params = {k: v for k, v in {"serial_number": serial_number,
                                "platform": platform.value if platform else None,
                                "username": user, "page": page}.items() if v is not None}
    with gateway() as gw:
        items = gw.json("GET", "/admin/devices", params=params)["items"]
    table(["id", "name", "owner's label", "platform", "serial", "os", "owner", "last contact"],
          ([d["id"], d.get("name"), d.get("label"), d["platform"], d.get("serial_number"),
            d.get("os_version"), (d.get("owner") or {}).get("username") or "",
            short_time(d.get("last_contact_at"))] for d in items), empty="No devices.")


DEVICE_HELP = "The device's id or serial number"


@command(devices, "link")
def devices_link(device: Annotated[str, typer.Argument(help=DEVICE_HELP)],
                 username: str) -> None:
    """Link a device to a user (the registry applies it; the request id is printed)."""
    with gateway() as gw:
        device_id = device_named(gw, device)
        data = gw.json("PUT", f"/admin/devices/{device_id}/user", json={"username": username},
                       expect=(202,))
    out.print(f"Link of {device_id} to {username} requested ({data['request_id']})")


@command(devices, "unlink")
def devices_unlink(device: Annotated[str, typer.Argument(help=DEVICE_HELP)]) -> None:
    """Remove a device's owner."""
    with gateway() as gw:
        device_id = device_named(gw, device)
        data = gw.json("DELETE", f"/admin/devices/{device_id}/user", expect=(202,))
    out.print(f"Unlink of {device_id} requested ({data['request_id']})")


def device_named(gw: Gateway, name: str) -> str:
    """The id of the device with this serial number; otherwise `name` is taken as the id.
    Two devices with the serial (one re-enrolled under a new id, say) need the id."""
    found = gw.json("GET", "/admin/devices", params={"serial_number": name})["items"]
    if len(found) > 1:
        raise CliError(f"{len(found)} devices have the serial number {name}: name one by its "
                       f"id ({', '.join(d['id'] for d in found)}).")
    return found[0]["id"] if found else name


# --- CSV imports ---------------------------------------------------------------------------

@command(app, "import")
def import_csv(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True,
                                         help="CSV of device identifier and username")],
    dry_run: Annotated[bool, typer.Option(help="Check every row, change nothing")] = False,
    report: Annotated[Path | None, typer.Option(help="Where to save the per-row report "
                                                "(default: import-<id>.csv here)")] = None,
    timeout_s: Annotated[float, typer.Option("--timeout", help="Seconds to wait")] = 600,
) -> None:
    """Upload a CSV of device links, follow it with a progress bar, save its report."""
    with gateway() as gw:
        with file.open("rb") as content:
            import_id = gw.json("POST", "/admin/imports", expect=(202,),
                                files={"file": (file.name, content, "text/csv")},
                                data={"dry_run": "true" if dry_run else "false"})["import_id"]
        status = follow_import(gw, import_id, timeout_s)
        target = report or Path(f"import-{import_id}.csv")
        target.write_bytes(gw.request("GET", f"/admin/imports/{import_id}/report.csv").content)
    counts = ", ".join(f"{k} {v}" for k, v in sorted(status["counts"].items()) if v) or "no rows"
    kind = "Dry run" if status["dry_run"] else "Import"
    out.print(f"{kind} {import_id} {status['status']}: {counts}. Report saved in {target}")
    if status["status"] != "completed":
        raise CliError(f"The import {status['status']}: {status.get('error') or 'no reason'}")


def follow_import(gw: Gateway, import_id: str, timeout_s: float) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=err) as bar:
        task = bar.add_task(f"import {import_id}", total=None)
        while True:
            status = gw.json("GET", f"/admin/imports/{import_id}")
            bar.update(task, total=status["total"], completed=status["done"])
            if status["status"] in ("completed", "failed"):
                return status
            if time.monotonic() > deadline:
                raise CliError(f"The import {import_id} is still {status['status']} after "
                               f"{timeout_s:.0f} s ({status['done']}/{status['total']} rows);"
                               f" follow it in the portal.")
            time.sleep(0.5)


# --- reservations --------------------------------------------------------------------------

@command(reservations, "list")
def reservations_list() -> None:
    """Every reservation of the organisation."""
    with gateway() as gw:
        items = gw.json("GET", "/admin/reservations")["items"]
    table(["id", "kind", "value", "user", "state", "expires", "device"],
          ([r["reservation_id"], r["kind"], r["value"], r.get("username") or r["user_id"],
            r["state"], short_time(r.get("expires_at")), r.get("device_id") or ""]
           for r in items), empty="No reservations.")


@command(reservations, "create")
def reservations_create(
    kind: Annotated[Literal["serial_number", "imei", "enrollment_token"], typer.Argument()],
    value: str,
    username: str,
    expires_at: Annotated[datetime | None, typer.Option(
        formats=["%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%d %H:%M:%S%z"],
        help="When it lapses, with a UTC offset (2026-12-31T18:00:00+0000)")] = None,
) -> None:
    """Reserve a device identifier for a user: the device is linked when it enrolls."""
    body: dict[str, Any] = {"kind": kind, "value": value, "username": username}
    if expires_at is not None:
        body["expires_at"] = expires_at.isoformat()
    with gateway() as gw:
        made = gw.json("POST", "/admin/reservations", json=body, expect=(201,))
    out.print(f"Reserved {made['kind']} {made['value']} for {made.get('username') or username}"
              f" ({made['reservation_id']})")


@command(reservations, "delete")
def reservations_delete(reservation_id: str) -> None:
    """Delete a reservation."""
    with gateway() as gw:
        gw.request("DELETE", f"/admin/reservations/{reservation_id}", expect=(204,))
    out.print(f"Deleted reservation {reservation_id}")


# --- help desk -----------------------------------------------------------------------------

HELPDESK_FIELDS = ("name", "phone", "email", "web")


@command(helpdesk, "show")
def helpdesk_show() -> None:
    """The organisation's help-desk contact, as the portal shows it to users."""
    with gateway() as gw:
        contact = gw.json("GET", "/admin/helpdesk")
    show_contact(contact)


@command(helpdesk, "set")
def helpdesk_set(
    name: Annotated[str | None, typer.Option(help="Team or person")] = None,
    phone: Annotated[str | None, typer.Option(help="Digits, spaces and + ( ) - . /")] = None,
    email: Annotated[str | None, typer.Option(help="An e-mail address")] = None,
    web: Annotated[str | None, typer.Option(help="An https:// address")] = None,
) -> None:
    """Change the contact: each option given replaces that field ("" clears it), the others
    stay as they are."""
    given = {"name": name, "phone": phone, "email": email, "web": web}
    with gateway() as gw:
        contact = gw.json("GET", "/admin/helpdesk")
        contact.update({k: v for k, v in given.items() if v is not None})
        saved = gw.json("PUT", "/admin/helpdesk",
                        json={k: contact.get(k, "") for k in HELPDESK_FIELDS})
    show_contact(saved)


def show_contact(contact: dict[str, Any]) -> None:
    if not any(contact.get(k) for k in HELPDESK_FIELDS):
        out.print("No help-desk contact: the portal says only \"ask your administrator\".")
        return
    for key in HELPDESK_FIELDS:
        out.print(f"{key}: {contact.get(key) or ''}", highlight=False, markup=False)


# --- output --------------------------------------------------------------------------------

def table(headers: list[str], rows: Iterable[list[Any]], *, empty: str) -> None:
    grid = Table(*headers)
    for row in rows:
        grid.add_row(*("" if v is None else str(v) for v in row))
    if grid.row_count:
        # Piped or captured: the natural width, so ids are never folded or cut.
        (out if out.is_terminal else Console(width=1000)).print(grid)
    else:
        out.print(empty)


def short_time(value: str | None) -> str:
    return (value or "")[:19].replace("T", " ")


def main() -> None:
    app()
