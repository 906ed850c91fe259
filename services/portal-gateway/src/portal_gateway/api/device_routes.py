"""The caller's own devices."""

from __future__ import annotations

from fastapi import APIRouter, Request

from portal_gateway.api.schemas import DeviceList
from portal_gateway.domain.device_view import DevicePublic, device_public
from portal_gateway.http.context import gateway_of
from portal_gateway.http.guards import CurrentUser
from portal_gateway.http.resources import OwnedDevice

router = APIRouter(tags=["devices"])


@router.get("/devices")
async def list_devices(caller: CurrentUser, request: Request) -> DeviceList:
    devices = await gateway_of(request).stores.devices.owned_devices(caller)
    return DeviceList(items=[device_public(d, caller.permissions) for d in devices])


@router.get("/devices/{device_id}")
async def get_device(device: OwnedDevice, caller: CurrentUser) -> DevicePublic:
    return device_public(device, caller.permissions)
