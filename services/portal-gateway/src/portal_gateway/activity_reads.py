"""A device's activity for the caller: its owner, or an admin of its org (domain/activity.py
says who sees what)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Query, Request
from ssp_contracts.devices import DeviceSnapshot

from portal_gateway.domain.access import Caller
from portal_gateway.domain.activity import ActivityPage, activity_entry
from portal_gateway.http.context import gateway_of
from portal_gateway.http.guards import CurrentUser, require_portal_user
from portal_gateway.http.resources import EntityIdPath, device_not_found
from portal_gateway.store.gateway_stores import GatewayStores

ACTIVITY_PAGE_SIZE = 50


@dataclass(frozen=True)
class ActivityScope:
    device: DeviceSnapshot
    admin_view: bool


async def activity_scope(device_id: EntityIdPath, caller: CurrentUser,
                         request: Request) -> ActivityScope:
    """An admin reads any device of the org; anyone else only a device of theirs, with a
    self-service permission (as every device route). Someone else's device: 404."""
    stores = gateway_of(request).stores
    if caller.is_admin:
        device = await stores.devices.in_org(caller.org_id, device_id)
        if device is None:
            raise device_not_found()
        return ActivityScope(device, admin_view=True)
    await require_portal_user(caller, request)
    owned = await stores.devices.owned_device(caller, device_id)
    if owned is None:
        raise device_not_found()
    return ActivityScope(owned, admin_view=False)


ActivityOf = Annotated[ActivityScope, Depends(activity_scope)]
ActivityPageNumber = Annotated[int, Query(ge=1, le=10_000, description="1 is the newest")]


async def device_activity(stores: GatewayStores, caller: Caller, scope: ActivityScope,
                          page: int, page_size: int = ACTIVITY_PAGE_SIZE) -> ActivityPage:
    device = scope.device
    owner = device.owner
    records, has_next = await stores.activity.of_device(
        caller.org_id, device.device_id,
        owner_id=None if scope.admin_view else caller.user_id,
        linked_at=owner.linked_at if owner and owner.user_id == caller.user_id else None,
        page=page, page_size=page_size)
    commands = await stores.commands.of_ids(
        caller.org_id, sorted({r.command_id for r in records if r.command_id}))
    names: dict[str, str] = {}
    for user_id in {u for r in records for u in (r.actor, r.user_id) if u} - {caller.user_id}:
        user = await stores.access.get(user_id)
        if user is not None and user.org_id == caller.org_id:  # never another org's account
            names[user_id] = user.display_name or user.username
    return ActivityPage(
        items=[activity_entry(r, commands.get(r.command_id or ""), caller.user_id, names,
                              admin_view=scope.admin_view) for r in records],
        page=page, page_size=page_size, has_next=has_next)
