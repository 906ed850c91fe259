"""Enrollment reservations over request/reply: an admin waits for the registry's answer."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar, Literal

from pydantic import AwareDatetime, Field

from ssp_contracts.base import Contract, EntityId, Event

ReservationKind = Literal["serial_number", "imei", "enrollment_token"]
ReservationOp = Literal["list", "create", "delete"]
ReservationState = Literal["open", "consumed", "expired"]


class ReservationRequest(Event):
    """List, create or delete reservations of `org_id`, on behalf of `actor_user_id`."""

    event_type: ClassVar[str] = "ssp.rpc.reservation_request.v1"

    request_id: EntityId
    actor_user_id: EntityId
    op: ReservationOp = Field(description="list, create or delete")
    reservation_id: EntityId | None = Field(None, description="The reservation to delete")
    kind: ReservationKind | None = Field(None, description="create: which identifier")
    value: str | None = Field(None, max_length=256, description="create: the identifier")
    username: str | None = Field(None, max_length=254, description="create: who gets the device")
    expires_at: AwareDatetime | None = Field(None, description="create: ignored after this")

    def subject(self) -> str:
        return self.reservation_id or self.org_id


class ReservationView(Contract):
    reservation_id: EntityId
    kind: ReservationKind = Field(description="Which identifier it names")
    value: str = Field(description="Normalised identifier")
    user_id: EntityId
    username: str | None = Field(None, description="Who gets the device, for display")
    expires_at: datetime | None = Field(None, description="Ignored after this")
    state: ReservationState = Field(description="open, consumed by an enrollment, or expired")
    created_at: datetime = Field(description="When an admin made it")
    created_by: EntityId
    device_id: EntityId | None = Field(None, description="The device it was used for")
    problem: str | None = Field(None, description="Why it could not be applied (conflict)")


class ReservationReply(Contract):
    ok: bool = Field(description="Whether the operation succeeded")
    status: int = Field(description="HTTP status the gateway answers with")
    code: str | None = Field(None, description="Machine code of a refusal")
    message: str | None = Field(None, description="Explanation of a refusal, for people")
    reservations: list[ReservationView] = Field(
        default_factory=list, description="The listed reservations, or the one created")
