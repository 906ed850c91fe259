"""Resource dependencies: the one way a route gets a user's device."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path
from ssp_contracts.devices import DeviceSnapshot
from starlette.requests import Request

from portal_gateway.domain.errors import NotFound
from portal_gateway.http.context import gateway_of
from portal_gateway.http.guards import PortalUser

# An id in a path has the shape of the contracts' ids: anything else is a malformed request
# (400, problems.py), never a lookup, nor a contract's validation failing halfway (500).
ENTITY_ID = r"^[A-Za-z0-9_.:-]{1,128}$"
EntityIdPath = Annotated[str, Path(pattern=ENTITY_ID)]


def device_not_found() -> NotFound:
    # The same answer for "does not exist" and "is someone else's": never 403.
    return NotFound("device.not_found", "No such device among yours.")


async def owned_device(device_id: EntityIdPath, caller: PortalUser,
                       request: Request) -> DeviceSnapshot:
    device = await gateway_of(request).stores.devices.owned_device(caller, device_id)
    if device is None:
        raise device_not_found()
    return device


OwnedDevice = Annotated[DeviceSnapshot, Depends(owned_device)]
