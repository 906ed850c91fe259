"""Answers administrators' reservation requests (`ssp.rpc.registry`): list, create, delete.

The gateway only forwards; every rule is checked here, where reservations live, and every
refusal comes back with the HTTP status and a stable code for the gateway to pass on.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from pydantic import ValidationError
from ssp_contracts.reservations import (
    ReservationReply,
    ReservationRequest,
    ReservationState,
    ReservationView,
)
from ssp_runtime.clock import utc_now

from device_registry.domain.reservations import Reservation
from device_registry.domain.timestamps import as_utc
from device_registry.store import UserDirectory
from device_registry.store.reservations import ReservationStore, as_reservation, reservation_id

Doc = dict[str, Any]



def refused(status: int, code: str, message: str) -> ReservationReply:
    return ReservationReply(ok=False, status=status, code=code, message=message)


def state_of(doc: Doc, now: datetime) -> ReservationState:
    reservation = as_reservation(doc)
    if reservation.consumed:
        return "consumed"
    return "open" if reservation.is_open(now) else "expired"


def view(doc: Doc, now: datetime) -> ReservationView:
    return ReservationView(
        reservation_id=doc["_id"], kind=doc["kind"], value=doc["value"], user_id=doc["user_id"],
        username=doc.get("username"), expires_at=doc.get("expires_at"), state=state_of(doc, now),
        created_at=doc["created_at"], created_by=doc["created_by"],
        device_id=doc.get("device_id"), problem=doc.get("problem"))


class ReservationDesk:
    def __init__(self, reservations: ReservationStore, users: UserDirectory,
                 clock: Callable[[], datetime] = utc_now) -> None:
        self.reservations = reservations
        self.users = users
        self.clock = clock

    async def answer(self, request: ReservationRequest) -> ReservationReply:
        """Lists, creates or deletes enrollment reservations of the requester's org."""
        now = self.clock()
        if request.op == "list":
            docs = await self.reservations.in_org(request.org_id)
            return ReservationReply(ok=True, status=200,
                                    reservations=[view(doc, now) for doc in docs])
        if request.op == "delete":
            found = await self.reservations.get(request.org_id, request.reservation_id or "")
            if found is None:
                return refused(404, "reservation.not_found", "No such reservation.")
            await self.reservations.delete(found["_id"])
            return ReservationReply(ok=True, status=204)
        return await self._create(request, now)

    async def _create(self, request: ReservationRequest, now: datetime) -> ReservationReply:
        if not (request.kind and request.value and request.username):
            return refused(422, "reservation.incomplete", "Give kind, value and username.")
        if request.expires_at is not None and as_utc(request.expires_at) <= now:
            return refused(422, "reservation.expires_in_past", "The expiry is in the past.")
        people = await self.users.find(request.org_id, "username", [request.username])
        user = people.get(request.username.lower())
        if user is None:
            return refused(404, "user.not_found", f"No user named '{request.username}'.")
        try:
            reservation = Reservation(
                reservation_id="pending", org_id=request.org_id, kind=request.kind,
                value=request.value, user_id=user["_id"], expires_at=request.expires_at)
        except ValidationError:
            return refused(422, "reservation.invalid_value",
                           f"'{request.value}' is not a usable {request.kind}.")
        reservation = reservation.model_copy(update={"reservation_id": reservation_id(
            request.org_id, reservation.kind, reservation.value)})
        extra = {"username": user.get("username"), "created_at": now,
                 "created_by": request.actor_user_id, "device_id": None, "problem": None}
        existing = await self.reservations.create(reservation, extra, now)
        if existing is not None:
            return refused(409, "reservation.exists",
                           f"This {request.kind} is already reserved for "
                           f"{existing.get('username') or existing['user_id']}.")
        doc = {"_id": reservation.reservation_id, **reservation.model_dump(), **extra}
        return ReservationReply(ok=True, status=201, reservations=[view(doc, now)])
