"""A device's activity page: who did what, when, and how it ended (domain/activity.py: from
the audit trail; its owner's view, or an admin's of any device of the org)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from portal_gateway.activity_reads import ActivityOf, ActivityPageNumber, device_activity
from portal_gateway.http.context import gateway_of
from portal_gateway.http.guards import CurrentUser
from portal_gateway.web.rendering import render

router = APIRouter()


@router.get("/devices/{device_id}/activity")
async def activity_page(scope: ActivityOf, caller: CurrentUser, request: Request,
                        page: ActivityPageNumber = 1) -> Response:
    gw = gateway_of(request)
    device = scope.device
    activity = await device_activity(gw.stores, caller, scope, page)
    owner_id = device.owner.user_id if device.owner else None
    labels = await gw.stores.labels.of_owners(
        caller.org_id, [(device.device_id, owner_id)] if owner_id else [])
    return render(request, "activity.html", {
        "device": device, "label": labels.get(device.device_id), "activity": activity,
        "admin_view": scope.admin_view,
        # An admin reading someone else's device goes back to the admin's device list.
        "back": f"/devices/{device.device_id}" if owner_id == caller.user_id
        else f"/admin/devices?serial_number={device.identifiers.serial_number or ''}"})
