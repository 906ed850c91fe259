"""Administration: accounts and roles (forwarded to the permission-service) and device links."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from ssp_contracts.enums import Permission, Platform
from ssp_contracts.rpc import AdminOp

from portal_gateway.admin_requests import (
    AdminListQuery,
    DeviceUserLink,
    RoleCreate,
    RolesSet,
    UserCreate,
    UserUpdate,
    reply_data,
)
from portal_gateway.api.schemas import DeviceList, LinkAccepted
from portal_gateway.domain.access import Caller
from portal_gateway.domain.device_view import device_public
from portal_gateway.http.context import gateway_of
from portal_gateway.http.guards import AdminUser
from portal_gateway.http.resources import EntityIdPath
from portal_gateway.wipe_breaker import BreakerState

router = APIRouter(prefix="/admin", tags=["admin"])


async def _forward(request: Request, caller: Caller, op: AdminOp, *,
                   target_id: str | None = None, payload: dict[str, Any] | None = None,
                   ) -> JSONResponse:
    reply = await gateway_of(request).admin.forward(caller, op, target_id=target_id,
                                                    payload=payload)
    return JSONResponse({"data": reply_data(reply)}, status_code=reply.status)


@router.get("/users")
async def list_users(caller: AdminUser, request: Request,
                     listing: Annotated[AdminListQuery, Query()]) -> JSONResponse:
    """A page of users, `q` in username, name or e-mail: `{items, page, page_size, has_next}`."""
    return await _forward(request, caller, "list_users", payload=listing.payload())


@router.post("/users")
async def create_user(body: UserCreate, caller: AdminUser, request: Request) -> JSONResponse:
    return await _forward(request, caller, "create_user", payload=body.model_dump())


@router.patch("/users/{user_id}")
async def update_user(user_id: EntityIdPath, body: UserUpdate, caller: AdminUser,
                      request: Request) -> JSONResponse:
    return await _forward(request, caller, "update_user", target_id=user_id,
                          payload=body.model_dump(exclude_unset=True))


@router.delete("/users/{user_id}")
async def delete_user(user_id: EntityIdPath, caller: AdminUser, request: Request) -> JSONResponse:
    return await _forward(request, caller, "delete_user", target_id=user_id)


@router.put("/users/{user_id}/roles")
async def set_roles(user_id: EntityIdPath, body: RolesSet, caller: AdminUser,
                    request: Request) -> JSONResponse:
    """Set the user's roles: `{"roles": [role_id]}` (or `role_ids`), every role they keep."""
    return await _forward(request, caller, "set_roles", target_id=user_id,
                          payload={"role_ids": body.roles})


@router.get("/roles")
async def list_roles(caller: AdminUser, request: Request,
                     listing: Annotated[AdminListQuery, Query()]) -> JSONResponse:
    """A page of roles, built-ins first, `q` in the name: `{items, page, page_size, has_next}`."""
    return await _forward(request, caller, "list_roles", payload=listing.payload())


@router.post("/roles")
async def create_role(body: RoleCreate, caller: AdminUser, request: Request) -> JSONResponse:
    return await _forward(request, caller, "create_role", payload=body.model_dump(mode="json"))


@router.get("/devices")
async def search_devices(
    caller: AdminUser, request: Request,
    serial_number: Annotated[str | None, Query(max_length=64)] = None,
    platform: Platform | None = None,
    username: Annotated[str | None, Query(max_length=254)] = None,
    page: Annotated[int, Query(ge=1)] = 1,
) -> DeviceList:
    gw = gateway_of(request)
    owner_id = None
    if username:
        user = await gw.stores.access.by_username(caller.org_id, username)
        if user is None:
            return DeviceList(items=[])
        owner_id = user.user_id
    devices = await gw.stores.devices.search(
        caller.org_id, serial_number=serial_number, platform=platform, owner_user_id=owner_id,
        page=page, page_size=gw.settings.admin_page_size)
    # Actions as the device supports them: the admin's own permissions do not apply here.
    every = frozenset(Permission)
    labels = await gw.stores.labels.of_owners(
        caller.org_id, [(d.device_id, d.owner.user_id) for d in devices if d.owner])
    return DeviceList(items=[device_public(d, caller, every, label=labels.get(d.device_id))
                             for d in devices])


@router.put("/devices/{device_id}/user", status_code=202)
async def link_device(device_id: EntityIdPath, body: DeviceUserLink, caller: AdminUser,
                      request: Request) -> LinkAccepted:
    request_id = await gateway_of(request).admin.link_device(caller, device_id, body.username)
    return LinkAccepted(request_id=request_id)


@router.delete("/devices/{device_id}/user", status_code=202)
async def unlink_device(device_id: EntityIdPath, caller: AdminUser,
                        request: Request) -> LinkAccepted:
    request_id = await gateway_of(request).admin.link_device(caller, device_id, None)
    return LinkAccepted(request_id=request_id)


@router.get("/wipe-breaker")
async def wipe_breaker_state(caller: AdminUser, request: Request) -> BreakerState:
    """Whether the org's wipe circuit breaker is open (all wipes refused), and its limits."""
    gw = gateway_of(request)
    return await gw.commands.wipe_breaker.state(caller.org_id, gw.now())


@router.delete("/wipe-breaker")
async def reset_wipe_breaker(caller: AdminUser, request: Request) -> BreakerState:
    """Close the org's wipe circuit breaker and start its count afresh.

    First at the permission-service, which enforces the breaker on every request (portal or
    Kafka), then in this gateway's pre-check."""
    gw = gateway_of(request)
    reply_data(await gw.admin.forward(caller, "reset_wipe_breaker"))
    await gw.commands.wipe_breaker.reset(caller.org_id)
    return await gw.commands.wipe_breaker.state(caller.org_id, gw.now())
