"""Resource dependencies: the one way a route gets a user's device."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path
from ssp_contracts.devices import DeviceSnapshot
from starlette.requests import Request

from portal_gateway.domain.errors import NotFound
from portal_gateway.http.context import gateway_of
from portal_gateway.http.guards import CurrentUser


def device_not_found() -> NotFound:
    # The same answer for "does not exist" and "is someone else's": never 403.
    return NotFound("device.not_found", "No such device among yours.")


async def owned_device(device_id: str, caller: CurrentUser, request: Request) -> DeviceSnapshot:
    device = await gateway_of(request).stores.devices.owned_device(caller, device_id)
    if device is None:
        raise device_not_found()
    return device


OwnedDevice = Annotated[DeviceSnapshot, Depends(owned_device)]

# An id forwarded to another service goes into a contract whose ids have this shape: anything
# else is refused here (422), not by the contract's validation halfway through a request (500).
ENTITY_ID = r"^[A-Za-z0-9_.:-]{1,128}$"
EntityIdPath = Annotated[str, Path(pattern=ENTITY_ID)]
