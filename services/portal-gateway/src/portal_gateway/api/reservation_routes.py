"""Enrollment reservations: list, create, delete (answered by the device-registry)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from portal_gateway.http.context import gateway_of
from portal_gateway.http.guards import AdminUser
from portal_gateway.http.resources import EntityIdPath
from portal_gateway.reservation_requests import ReservationCreate

router = APIRouter(prefix="/admin/reservations", tags=["reservations"])


@router.get("")
async def list_reservations(caller: AdminUser, request: Request) -> dict[str, Any]:
    reply = await gateway_of(request).reservations.forward(caller, "list")
    return {"items": [r.model_dump(mode="json") for r in reply.reservations]}


@router.post("", status_code=201)
async def create_reservation(body: ReservationCreate, caller: AdminUser,
                             request: Request) -> dict[str, Any]:
    reply = await gateway_of(request).reservations.forward(caller, "create",
                                                           **body.model_dump())
    return reply.reservations[0].model_dump(mode="json")


@router.delete("/{reservation_id}", status_code=204)
async def delete_reservation(reservation_id: EntityIdPath,
                             caller: AdminUser,
                             request: Request) -> Response:
    await gateway_of(request).reservations.forward(caller, "delete",
                                                   reservation_id=reservation_id)
    return Response(status_code=204)
