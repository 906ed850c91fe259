"""The caller's own devices, their own names for them, and each device's activity."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from portal_gateway.activity_reads import ActivityOf, ActivityPageNumber, device_activity
from portal_gateway.api.schemas import DeviceLabelBody, DeviceList
from portal_gateway.domain.access import Caller, portal_access
from portal_gateway.domain.activity import ActivityPage
from portal_gateway.domain.device_view import DevicePublic, device_public
from portal_gateway.domain.errors import NoPortalAccess
from portal_gateway.http.context import gateway_of
from portal_gateway.http.guards import CurrentUser, PortalUser
from portal_gateway.http.resources import OwnedDevice

router = APIRouter(tags=["devices"])


async def own_labels(request: Request, caller: Caller, device_ids: list[str]) -> dict[str, str]:
    return await gateway_of(request).stores.labels.of_owners(
        caller.org_id, [(device_id, caller.user_id) for device_id in device_ids])


@router.get("/devices")
async def list_devices(caller: PortalUser, request: Request) -> DeviceList:
    devices = await gateway_of(request).stores.devices.owned_devices(caller)
    access = portal_access(caller.permissions, len(devices))
    if not access.granted:  # what the device list page says, as a problem
        raise NoPortalAccess(access.missing)
    labels = await own_labels(request, caller, [d.device_id for d in devices])
    return DeviceList(items=[device_public(d, caller, caller.permissions,
                                           label=labels.get(d.device_id)) for d in devices])


@router.get("/devices/{device_id}")
async def get_device(device: OwnedDevice, caller: PortalUser, request: Request) -> DevicePublic:
    labels = await own_labels(request, caller, [device.device_id])
    return device_public(device, caller, caller.permissions, label=labels.get(device.device_id))


@router.put("/devices/{device_id}/label")
async def set_label(device: OwnedDevice, body: DeviceLabelBody, caller: PortalUser,
                    request: Request) -> DevicePublic:
    """The owner's own name for the device (`label` in the device); only they see it, and
    admins beside the device's name. The device's name in the MDM stays as it is. An empty
    label removes it."""
    gw = gateway_of(request)
    await gw.stores.labels.set(caller.org_id, device.device_id, caller.user_id, body.label,
                               gw.now())
    return device_public(device, caller, caller.permissions, label=body.label or None)


@router.delete("/devices/{device_id}/label", status_code=204)
async def clear_label(device: OwnedDevice, caller: PortalUser, request: Request) -> Response:
    """Remove the owner's name for the device: its own name shows again."""
    gw = gateway_of(request)
    await gw.stores.labels.set(caller.org_id, device.device_id, caller.user_id, "", gw.now())
    return Response(status_code=204)


@router.get("/devices/{device_id}/activity")
async def get_activity(scope: ActivityOf, caller: CurrentUser, request: Request,
                       page: ActivityPageNumber = 1) -> ActivityPage:
    """Who did what on the device, when, and how it ended, newest first (from the audit
    trail). Its owner sees their own actions and everything since it was linked to them,
    admins' actions included, without the audit detail; an admin sees every entry of any
    device of the org, with the detail. Another user's device: 404."""
    return await device_activity(gateway_of(request).stores, caller, scope, page)
