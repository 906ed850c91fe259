"""Topics in -> folds of the pure domain -> the device's document (and its events) out.

Each handler reloads and folds again when another write won the race for the device's version,
so concurrent consumers of the same device cannot lose each other's changes."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime

from ssp_contracts.access import UserAccess
from ssp_contracts.audit import AuditRecord
from ssp_contracts.commands import CommandStatusChanged
from ssp_contracts.devices import DeviceOwner, DeviceReported
from ssp_contracts.enums import DeviceReportKind
from ssp_contracts.links import LinkRequested
from ssp_runtime.clock import utc_now
from ssp_runtime.consuming import Delivery, PermanentError

from device_registry.domain import (
    DeviceState,
    ReservationDecision,
    apply_command_status,
    apply_report,
    can_change_device,
    link,
)
from device_registry.reserved_links import ReservedLinks
from device_registry.store import DeviceStore, UserDirectory

Fold = Callable[[DeviceState | None], Awaitable[tuple[DeviceState | None, list[AuditRecord]]]]
MAX_RACES = 20



class RegistryHandlers:
    def __init__(self, devices: DeviceStore, users: UserDirectory,
                 clock: Callable[[], datetime] = utc_now, projection_wait_s: float = 10.0,
                 reservations: ReservedLinks | None = None) -> None:
        self.devices = devices
        self.users = users
        self.reservations = reservations
        self.clock = clock
        self.projection_wait_s = projection_wait_s

    async def on_device_reported(self, report: DeviceReported, _d: Delivery) -> None:
        """Creates and updates devices from what their platform endpoints report; an enrolling
        device that was reserved for a user is linked to that user in the same change."""
        decided: list[ReservationDecision] = []

        async def fold(state: DeviceState | None) -> tuple[DeviceState | None, list[AuditRecord]]:
            after = apply_report(state, report)
            decided.clear()  # only the attempt that was saved counts
            audits = [self._unlinked_by_enrollment(report, state.owner.user_id)] \
                if state is not None and state.owner and after.owner is None else []
            if report.kind is not DeviceReportKind.ENROLLED or self.reservations is None \
                    or not report.identity_trusted:
                return after, audits  # a reservation links only a device whose identity is vouched
            linked, more = await self.reservations.apply(after, decided)
            return linked, audits + more

        await self._update(report.device_id, fold)
        if decided and self.reservations is not None:
            await self.reservations.settle(decided[0], report.device_id)

    async def on_command_status(self, event: CommandStatusChanged, _d: Delivery) -> None:
        """Folds command results into device state: lost mode, location, lock, wipe."""
        if not can_change_device(event):
            return  # most statuses (queued, sent, failed...): not even a read of the device

        async def fold(state: DeviceState | None) -> tuple[DeviceState | None, list[AuditRecord]]:
            if state is None or state.org_id != event.org_id:
                return None, []  # a device this registry does not know: nothing to fold
            return apply_command_status(state, event), []

        await self._update(event.device_id, fold)

    async def on_link_requested(self, request: LinkRequested, _d: Delivery) -> None:
        """Links a device to a user, or unlinks it (one user per device at a time)."""
        owner = None
        if request.user_id is not None:
            user = await self._user_when_known(request.user_id)
            if user is None or user["org_id"] != request.org_id or not user.get("active"):
                raise PermanentError(f"user {request.user_id} is unknown in {request.org_id}")
            owner = DeviceOwner(user_id=request.user_id, username=user.get("username"),
                                linked_at=self.clock(), source=request.source)

        async def fold(state: DeviceState | None) -> tuple[DeviceState | None, list[AuditRecord]]:
            if state is None or state.org_id != request.org_id:
                raise PermanentError(f"device {request.device_id} is unknown in {request.org_id}")
            after = link(state, owner)
            if after is state:
                return state, []
            previous = state.owner.user_id if state.owner else None
            return after, [self._audit(request, previous)]

        await self._update(request.device_id, fold)

    async def _user_when_known(self, user_id: str) -> dict[str, object] | None:
        """The user from the directory, waiting a little: `ssp.access` is consumed separately,
        so a link for a user created a moment ago may arrive before the user does."""
        delay = 0.1
        waited = 0.0
        while True:
            user = await self.users.get(user_id)
            if user is not None or waited >= self.projection_wait_s:
                return user
            await asyncio.sleep(delay)
            waited += delay
            delay = min(delay * 2, 1.0)

    async def on_user_access(self, access: UserAccess, _d: Delivery) -> None:
        """Keeps the directory used to resolve usernames and e-mail addresses."""
        await self.users.apply(access)

    async def _update(self, device_id: str, fold: Fold) -> None:
        for _ in range(MAX_RACES):
            before = await self.devices.get(device_id)
            after, audits = await fold(before)
            if after is None or after is before:
                return
            if await self.devices.save(before, after, audits):
                return
        raise RuntimeError(f"device {device_id}: lost {MAX_RACES} races for its version")

    def _unlinked_by_enrollment(self, report: DeviceReported, owner: str) -> AuditRecord:
        """The owner's record that the device left them: it enrolled with a new identity."""
        return AuditRecord(
            org_id=report.org_id, audit_id=str(uuid.uuid4()), actor="system:device-registry",
            action="unlinked_device", outcome="succeeded", device_id=report.device_id,
            user_id=owner, detail="source=re-enrollment with a new identity",
            occurred_at=self.clock())

    def _audit(self, request: LinkRequested, previous: str | None) -> AuditRecord:
        action = "unlinked_device" if request.user_id is None else (
            "relinked_device" if previous else "linked_device")
        return AuditRecord(
            org_id=request.org_id, audit_id=str(uuid.uuid4()), actor=request.requested_by,
            action=action, outcome="succeeded", device_id=request.device_id,
            user_id=request.user_id or previous, detail=f"source={request.source.value}",
            occurred_at=self.clock())
