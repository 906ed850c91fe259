"""Enrollment reservations: "when this device enrolls, link it to this user"."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationInfo, field_validator
from ssp_contracts.base import EntityId, OrgId
from ssp_contracts.device_keys import normalise_key
from ssp_contracts.devices import DeviceIdentifiers, DeviceOwner
from ssp_contracts.enums import LinkSource

from device_registry.domain.device_state import DeviceState
from device_registry.domain.identifiers import normalised_identifiers
from device_registry.domain.timestamps import as_utc

ReservationKind = Literal["serial_number", "imei", "enrollment_token"]
ReservationOutcome = Literal["linked", "unchanged", "conflict"]
# Most specific first: a token is issued for one enrollment, a serial names one device, an
# IMEI follows a modem and can move between devices on repair.
PRECEDENCE: tuple[ReservationKind, ...] = ("enrollment_token", "serial_number", "imei")


class Reservation(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    reservation_id: EntityId
    org_id: OrgId
    kind: ReservationKind
    value: str = Field(min_length=1, max_length=256, description="Normalised identifier")
    user_id: EntityId
    expires_at: AwareDatetime | None = None
    consumed: bool = False

    @field_validator("value", mode="before")
    @classmethod
    def _normalise(cls, value: Any, info: ValidationInfo) -> Any:
        # Runs before the length check, so an IMEI without digits is refused as empty.
        kind = info.data.get("kind")
        return normalise_key(kind, value) if isinstance(value, str) and kind else value

    def is_open(self, now: datetime) -> bool:
        return not self.consumed and (self.expires_at is None or self.expires_at > as_utc(now))

    def consume(self) -> Reservation:
        return self.model_copy(update={"consumed": True})

    def owner(self, now: datetime, username: str | None = None) -> DeviceOwner:
        return DeviceOwner(user_id=self.user_id, username=username, linked_at=now,
                           source=LinkSource.RESERVATION)


@dataclass(frozen=True)
class ReservationDecision:
    reservation: Reservation
    outcome: ReservationOutcome
    detail: str | None = None

    @property
    def links(self) -> bool:
        return self.outcome == "linked"

    @property
    def consumes(self) -> bool:
        """A conflict leaves the reservation open for an admin to resolve."""
        return self.outcome != "conflict"


def match(reservations: Iterable[Reservation], identifiers: DeviceIdentifiers, now: datetime,
          *, org_id: str) -> Reservation | None:
    """The open reservation of `org_id` naming one of the identifiers, most specific kind
    first; among equals the first given wins (the store passes them oldest first)."""
    keys = normalised_identifiers(identifiers)
    candidates = [
        reservation for reservation in reservations
        if reservation.org_id == org_id  # a tenant's reservation never reaches another's device
        and reservation.is_open(now)
        and keys.get(reservation.kind) == reservation.value
    ]
    return min(candidates, key=lambda found: PRECEDENCE.index(found.kind), default=None)


def decide(reservation: Reservation, owner: DeviceOwner | None) -> ReservationDecision:
    if owner is None:
        return ReservationDecision(reservation, "linked")
    if owner.user_id == reservation.user_id:
        return ReservationDecision(reservation, "unchanged")
    # A link someone made on purpose is not overwritten by an older plan; report it instead.
    return ReservationDecision(
        reservation, "conflict",
        f"device is linked to user {owner.user_id}, reserved for user {reservation.user_id}",
    )


def reservation_for(device: DeviceState, reservations: Iterable[Reservation],
                    now: datetime) -> ReservationDecision | None:
    """The decision for a device that just reported, or None when nothing is reserved for it."""
    found = match(reservations, device.identifiers, now, org_id=device.org_id)
    return None if found is None else decide(found, device.owner)
