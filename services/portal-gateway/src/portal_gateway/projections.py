"""Topics in, projections out: the gateway's read models (live updates: `live_feed`)."""

from __future__ import annotations

import logging

from ssp_contracts.access import UserAccess
from ssp_contracts.audit import AuditRecord
from ssp_contracts.commands import CommandStatusChanged
from ssp_contracts.devices import DeviceSnapshot
from ssp_runtime.consuming import Delivery

from portal_gateway.domain.access import account_usable
from portal_gateway.domain.passcode_secrets import carries_passcode
from portal_gateway.store.gateway_stores import GatewayStores

log = logging.getLogger(__name__)


class Projections:
    def __init__(self, stores: GatewayStores) -> None:
        self.stores = stores

    async def on_device_snapshot(self, snapshot: DeviceSnapshot | None,
                                 delivery: Delivery) -> bool:
        """Keeps the device projection; a tombstone (null value) deletes the device. True if
        the projection changed."""
        if snapshot is None:
            if delivery.key:
                return await self.stores.devices.delete(delivery.key) is not None
            return False
        return bool(await self.stores.devices.apply(snapshot))

    async def on_user_access(self, access: UserAccess, _delivery: Delivery) -> None:
        """Keeps accounts and permissions; a disabled or deleted account loses its sessions."""
        await self.stores.access.apply(access)
        if account_usable(enabled=access.enabled, deleted=access.deleted):
            return  # sessions of an unusable stored state were revoked when it was stored
        current = await self.stores.access.get(access.user_id)  # an older replay changes nothing
        if current and not account_usable(enabled=current.enabled, deleted=current.deleted):
            revoked = await self.stores.sessions.revoke_user(access.user_id)
            log.info("sessions revoked", extra={"user_id": access.user_id, "count": revoked})

    async def on_command_statuses(self, batch: list[tuple[CommandStatusChanged, Delivery]]
                                  ) -> list[CommandStatusChanged]:
        """Keeps each command's latest status and history, for a whole consumed batch at once
        (store/commands.py). Returns the statuses that became their command's latest."""
        events = [event for event, _ in batch]
        for event in events:
            if carries_passcode(event):  # kept sealed before the status shows it acknowledged
                await self.stores.passcodes.keep(event)
        return await self.stores.commands.apply_many(events)

    async def on_audit_records(self, batch: list[tuple[AuditRecord, Delivery]]) -> None:
        """Keeps the records that name a device: its activity (domain/activity.py)."""
        await self.stores.activity.record([record for record, _ in batch])
