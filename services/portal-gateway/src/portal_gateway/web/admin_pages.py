"""Admin pages: users, roles, device links. Same desks as the admin API."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from ssp_contracts.enums import Permission, Platform
from ssp_contracts.rpc import AdminOp
from starlette.responses import RedirectResponse, Response

from portal_gateway.admin_requests import reply_data
from portal_gateway.domain.access import Caller
from portal_gateway.domain.errors import PortalError
from portal_gateway.http.context import gateway_of
from portal_gateway.http.guards import AdminUser
from portal_gateway.http.resources import EntityIdPath
from portal_gateway.web.rendering import error_text, render

router = APIRouter(prefix="/admin")


def _items(data: Any) -> list[dict[str, Any]]:
    """Replies list either `[...]` or `{"items": [...]}`; anything else shows as empty."""
    if isinstance(data, dict):
        data = data.get("items", [])
    return [item for item in data if isinstance(item, dict)] if isinstance(data, list) else []


async def _listing(request: Request, caller: Caller, op: AdminOp) -> list[dict[str, Any]]:
    return _items(reply_data(await gateway_of(request).admin.forward(caller, op)))


async def _page(request: Request, caller: Caller, template: str, op: AdminOp,
                error: PortalError | None = None) -> Response:
    try:
        rows = await _listing(request, caller, op)
    except PortalError as exc:
        rows, error = [], error or exc
    return render(request, template, {
        "rows": rows, "permissions": [p.value for p in Permission],
        "error": error_text(request, error) if error else None},
        error.status if error else 200)


async def _submit(request: Request, caller: Caller, op: AdminOp, back: str, template: str,
                  list_op: AdminOp, *, target_id: str | None = None,
                  payload: dict[str, Any] | None = None) -> Response:
    try:
        reply_data(await gateway_of(request).admin.forward(caller, op, target_id=target_id,
                                                           payload=payload))
    except PortalError as exc:
        return await _page(request, caller, template, list_op, exc)
    return RedirectResponse(f"{back}?notice=saved", status_code=303)


@router.get("/users")
async def users_page(caller: AdminUser, request: Request) -> Response:
    return await _page(request, caller, "admin_users.html", "list_users")


@router.post("/users")
async def create_user(caller: AdminUser, request: Request,
                      username: Annotated[str, Form(max_length=254)],
                      password: Annotated[str, Form(max_length=1024)] = "",
                      display_name: Annotated[str, Form(max_length=200)] = "",
                      email: Annotated[str, Form(max_length=254)] = "") -> Response:
    payload = {"username": username.strip(), "password": password or None,
               "display_name": display_name.strip() or None, "email": email.strip() or None}
    return await _submit(request, caller, "create_user", "/admin/users", "admin_users.html",
                         "list_users", payload=payload)


@router.post("/users/{user_id}/roles")
async def set_roles(user_id: EntityIdPath, caller: AdminUser, request: Request,
                    role_ids: Annotated[str, Form(max_length=2000)] = "") -> Response:
    ids = [r.strip() for r in role_ids.split(",") if r.strip()]
    return await _submit(request, caller, "set_roles", "/admin/users", "admin_users.html",
                         "list_users", target_id=user_id, payload={"role_ids": ids})


@router.post("/users/{user_id}/enabled")
async def set_enabled(user_id: EntityIdPath, caller: AdminUser, request: Request,
                      enabled: Annotated[bool, Form()]) -> Response:
    return await _submit(request, caller, "update_user", "/admin/users", "admin_users.html",
                         "list_users", target_id=user_id, payload={"enabled": enabled})


@router.get("/roles")
async def roles_page(caller: AdminUser, request: Request) -> Response:
    return await _page(request, caller, "admin_roles.html", "list_roles")


@router.post("/roles")
async def create_role(caller: AdminUser, request: Request,
                      name: Annotated[str, Form(max_length=100)],
                      permissions: Annotated[list[Permission], Form()]) -> Response:
    return await _submit(request, caller, "create_role", "/admin/roles", "admin_roles.html",
                         "list_roles", payload={"name": name.strip(),
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
        "devices": devices, "platforms": [p.value for p in Platform], "page": page,
        "query": query, "has_next": len(devices) == gw.settings.admin_page_size,
        "error": error_text(request, error) if error else None},
        error.status if error else 200)


@router.post("/devices/{device_id}/link")
async def link_device(device_id: str, caller: AdminUser, request: Request,
                      username: Annotated[str, Form(max_length=254)] = "") -> Response:
    try:
        await gateway_of(request).admin.link_device(caller, device_id, username.strip() or None)
    except PortalError as exc:
        query = {"serial_number": "", "platform": "", "username": ""}
        return await _devices_page(request, caller, query, error=exc)
    return RedirectResponse("/admin/devices?notice=link_requested", status_code=303)
