"""Admin pages: users, roles, device links. Same desks as the admin API."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from ssp_contracts.enums import Permission, Platform
from ssp_contracts.rpc import AdminOp
from starlette.responses import RedirectResponse, Response

from portal_gateway.admin_requests import reply_data
from portal_gateway.domain.access import Caller
from portal_gateway.domain.device_status import device_status
from portal_gateway.domain.errors import PortalError
from portal_gateway.http.context import gateway_of
from portal_gateway.http.guards import AdminUser
from portal_gateway.http.resources import EntityIdPath
from portal_gateway.web.rendering import error_text, render

router = APIRouter(prefix="/admin")


ALL_ROLES = {"page": 1, "page_size": 500}  # an org has a handful of roles: one page holds them


async def _list(request: Request, caller: Caller, op: AdminOp,
                payload: dict[str, Any]) -> dict[str, Any]:
    """One page of an admin list: `{items, page, page_size, has_next}`."""
    data = reply_data(await gateway_of(request).admin.forward(caller, op, payload=payload))
    return data if isinstance(data, dict) else {}


async def _users_page(request: Request, caller: Caller, q: str = "", page: int = 1,
                      error: PortalError | None = None) -> Response:
    page_size = gateway_of(request).settings.admin_page_size
    users: dict[str, Any] = {}
    roles: dict[str, Any] = {}
    try:
        users = await _list(request, caller, "list_users",
                            {"page": page, "page_size": page_size, "query": q or None})
        roles = await _list(request, caller, "list_roles", ALL_ROLES)
    except PortalError as exc:
        error = error or exc
    return render(request, "admin_users.html", {
        "rows": users.get("items", []), "roles": roles.get("items", []), "q": q, "page": page,
        "has_next": bool(users.get("has_next")),
        "error": error_text(request, error) if error else None},
        error.status if error else 200)


async def _roles_page(request: Request, caller: Caller,
                      error: PortalError | None = None) -> Response:
    roles: dict[str, Any] = {}
    try:
        roles = await _list(request, caller, "list_roles", ALL_ROLES)
    except PortalError as exc:
        error = error or exc
    return render(request, "admin_roles.html", {
        "rows": roles.get("items", []), "permissions": [p.value for p in Permission],
        "error": error_text(request, error) if error else None},
        error.status if error else 200)


async def _submit(request: Request, caller: Caller, op: AdminOp, back: str,
                  again: Callable[[PortalError], Awaitable[Response]], *,
                  target_id: str | None = None, payload: dict[str, Any] | None = None,
                  ) -> Response:
    """Runs the op and goes back to the list; a refusal shows the list with its reason."""
    try:
        reply_data(await gateway_of(request).admin.forward(caller, op, target_id=target_id,
                                                           payload=payload))
    except PortalError as exc:
        return await again(exc)
    return RedirectResponse(f"{back}?notice=saved", status_code=303)


def _back_to_users(request: Request, caller: Caller) -> Callable[[PortalError],
                                                                 Awaitable[Response]]:
    return lambda error: _users_page(request, caller, error=error)


@router.get("/users")
async def users_page(caller: AdminUser, request: Request,
                     q: Annotated[str, Query(max_length=254)] = "",
                     page: Annotated[int, Query(ge=1)] = 1) -> Response:
    return await _users_page(request, caller, q.strip(), page)


@router.post("/users")
async def create_user(caller: AdminUser, request: Request,
                      username: Annotated[str, Form(max_length=254)],
                      password: Annotated[str, Form(max_length=1024)] = "",
                      display_name: Annotated[str, Form(max_length=200)] = "",
                      email: Annotated[str, Form(max_length=254)] = "") -> Response:
    payload = {"username": username.strip(), "password": password or None,
               "display_name": display_name.strip() or None, "email": email.strip() or None}
    return await _submit(request, caller, "create_user", "/admin/users",
                         _back_to_users(request, caller), payload=payload)


@router.post("/users/{user_id}/roles")
async def set_roles(user_id: EntityIdPath, caller: AdminUser, request: Request,
                    role_ids: Annotated[list[str] | None, Form(max_length=100)] = None,
                    ) -> Response:
    """Set a user's roles from the row's checkboxes (none checked: no role)."""
    return await _submit(request, caller, "set_roles", "/admin/users",
                         _back_to_users(request, caller), target_id=user_id,
                         payload={"role_ids": role_ids or []})


@router.post("/users/{user_id}/enabled")
async def set_enabled(user_id: EntityIdPath, caller: AdminUser, request: Request,
                      enabled: Annotated[bool, Form()]) -> Response:
    return await _submit(request, caller, "update_user", "/admin/users",
                         _back_to_users(request, caller), target_id=user_id,
                         payload={"enabled": enabled})


@router.get("/roles")
async def roles_page(caller: AdminUser, request: Request) -> Response:
    return await _roles_page(request, caller)


@router.post("/roles")
async def create_role(caller: AdminUser, request: Request,
                      name: Annotated[str, Form(max_length=100)],
                      permissions: Annotated[list[Permission], Form()]) -> Response:
    return await _submit(request, caller, "create_role", "/admin/roles",
                         lambda error: _roles_page(request, caller, error),
                         payload={"name": name.strip(),
                                  "permissions": [p.value for p in permissions]})


@router.get("/devices")
async def devices_page(caller: AdminUser, request: Request,
                       serial_number: Annotated[str, Query(max_length=64)] = "",
                       platform: Annotated[str, Query(max_length=20)] = "",
                       username: Annotated[str, Query(max_length=254)] = "",
                       page: Annotated[int, Query(ge=1)] = 1) -> Response:
    query = {"serial_number": serial_number.strip(), "platform": platform,
             "username": username.strip()}
    return await _devices_page(request, caller, query, page)


async def _devices_page(request: Request, caller: Caller, query: dict[str, str], page: int = 1,
                        error: PortalError | None = None) -> Response:
    gw = gateway_of(request)
    devices = []
    user = (await gw.stores.access.by_username(caller.org_id, query["username"])
            if query["username"] else None)
    if not query["username"] or user is not None:  # an unknown username matches nothing
        platform = query["platform"]
        devices = await gw.stores.devices.search(
            caller.org_id, serial_number=query["serial_number"] or None,
            platform=platform if platform in {p.value for p in Platform} else None,
            owner_user_id=user.user_id if user else None, page=page,
            page_size=gw.settings.admin_page_size)
    return render(request, "admin_devices.html", {
        "labels": await gw.stores.labels.of_owners(
            caller.org_id, [(d.device_id, d.owner.user_id) for d in devices if d.owner]),
        "devices": devices, "statuses": {d.device_id: device_status(d) for d in devices},
        "platforms": [p.value for p in Platform], "page": page,
        "query": query, "has_next": len(devices) == gw.settings.admin_page_size,
        "error": error_text(request, error) if error else None},
        error.status if error else 200)


@router.post("/devices/{device_id}/link")
async def link_device(device_id: EntityIdPath, caller: AdminUser, request: Request,
                      username: Annotated[str, Form(max_length=254)] = "",
                      filter_serial_number: Annotated[str, Form(max_length=64)] = "",
                      filter_platform: Annotated[str, Form(max_length=20)] = "",
                      filter_username: Annotated[str, Form(max_length=254)] = "",
                      filter_page: Annotated[int, Form(ge=1)] = 1) -> Response:
    # The list the admin acted from comes back, filtered and paged as it was.
    query = {"serial_number": filter_serial_number.strip(), "platform": filter_platform,
             "username": filter_username.strip()}
    try:
        await gateway_of(request).admin.link_device(caller, device_id, username.strip() or None)
    except PortalError as exc:
        return await _devices_page(request, caller, query, filter_page, error=exc)
    kept = urlencode({**query, "page": filter_page, "notice": "link_requested"})
    return RedirectResponse(f"/admin/devices?{kept}", status_code=303)
