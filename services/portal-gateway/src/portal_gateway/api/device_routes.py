"""The caller's own devices."""

from __future__ import annotations

from fastapi import APIRouter, Request

from portal_gateway.api.schemas import DeviceList
from portal_gateway.domain.access import portal_access
from portal_gateway.domain.device_view import DevicePublic, device_public
from portal_gateway.domain.errors import NoPortalAccess
from portal_gateway.http.context import gateway_of
from portal_gateway.http.guards import PortalUser
from portal_gateway.http.resources import OwnedDevice

router = APIRouter(tags=["devices"])


@router.get("/devices")
async def list_devices(caller: PortalUser, request: Request) -> DeviceList:
    devices = await gateway_of(request).stores.devices.owned_devices(caller)
    access = portal_access(caller.permissions, len(devices))
    if not access.granted:  # what the device list page says, as a problem
        raise NoPortalAccess(access.missing)
    return DeviceList(items=[device_public(d, caller, caller.permissions) for d in devices])


@router.get("/devices/{device_id}")
async def get_device(device: OwnedDevice, caller: PortalUser) -> DevicePublic:
    return device_public(device, caller, caller.permissions)
