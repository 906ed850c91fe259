"""Reservations applied when a device enrolls: the link and its audit go into the device's own
change; the reservation is used up (or told why not) right after that change is saved.

If the process stops in between, the report is delivered again: the device is then already
linked to the reserved user, which decides "unchanged" and uses the reservation up."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime

from ssp_contracts.audit import AuditOutcome, AuditRecord, system_actor

from device_registry.domain import DeviceState, ReservationDecision, link, reservation_for
from device_registry.domain.identifiers import normalised_identifiers
from device_registry.settings import SERVICE
from device_registry.store import UserDirectory
from device_registry.store.reservations import ReservationStore

ACTOR = system_actor(SERVICE)


class ReservedLinks:
    def __init__(self, reservations: ReservationStore, users: UserDirectory,
                 clock: Callable[[], datetime]) -> None:
        self.reservations = reservations
        self.users = users
        self.clock = clock

    async def apply(self, device: DeviceState, decided: list[ReservationDecision],
                    ) -> tuple[DeviceState, list[AuditRecord]]:
        """The enrolled device with its reserved owner (or as it is), the audit to publish
        with it, and the decision appended to `decided`."""
        found = await self.reservations.naming(device.org_id,
                                               normalised_identifiers(device.identifiers))
        now = self.clock()
        decision = reservation_for(device, found, now)
        if decision is None:
            return device, []
        reserved = decision.reservation
        if decision.links:
            user = await self.users.get(reserved.user_id)
            if user is None or user.get("org_id") != device.org_id or not user.get("active"):
                decision = ReservationDecision(
                    reserved, "conflict", f"user {reserved.user_id} is no longer active")
            else:
                decided.append(decision)
                after = link(device, reserved.owner(now, username=user.get("username")))
                return after, [self._audit(device, decision, "succeeded")]
        decided.append(decision)
        if decision.outcome == "conflict":
            return device, [self._audit(device, decision, "rejected")]
        return device, []

    async def settle(self, decision: ReservationDecision, device_id: str) -> None:
        if decision.consumes:
            await self.reservations.consume(decision.reservation.reservation_id, device_id,
                                            self.clock())
        else:
            await self.reservations.report_problem(decision.reservation.reservation_id,
                                                   device_id, decision.detail or "conflict")

    def _audit(self, device: DeviceState, decision: ReservationDecision,
               outcome: AuditOutcome) -> AuditRecord:
        reserved = decision.reservation
        detail = f"source=reservation reservation={reserved.reservation_id}"
        return AuditRecord(
            org_id=device.org_id, audit_id=str(uuid.uuid4()), actor=ACTOR,
            action="linked_device", outcome=outcome,
            device_id=device.device_id, user_id=reserved.user_id,
            detail=f"{detail}: {decision.detail}" if decision.detail else detail,
            occurred_at=self.clock())
