"""Topics in, projections out: the gateway's read models and the live updates they trigger."""

from __future__ import annotations

import logging

from ssp_contracts.access import UserAccess
from ssp_contracts.commands import CommandStatusChanged
from ssp_contracts.devices import DeviceSnapshot
from ssp_runtime.consuming import Delivery

from portal_gateway.domain.access import account_usable
from portal_gateway.domain.command_view import is_pending
from portal_gateway.domain.passcode_secrets import carries_passcode
from portal_gateway.live_updates import LiveUpdate, LiveUpdates
from portal_gateway.store.gateway_stores import GatewayStores

log = logging.getLogger(__name__)


class Projections:
    def __init__(self, stores: GatewayStores, live: LiveUpdates) -> None:
        self.stores = stores
        self.live = live

    async def on_device_snapshot(self, snapshot: DeviceSnapshot | None,
                                 delivery: Delivery) -> None:
        """Keeps the device projection; a tombstone (null value) deletes the device."""
        if snapshot is None:
            if delivery.key:
                removed = await self.stores.devices.delete(delivery.key)
                if removed is not None and removed.owner is not None:
                    self.live.notify(removed.owner.user_id, LiveUpdate(
                        "device_removed", {"device_id": delivery.key}))
            return
        previous_owner = (await self.stores.devices.owner_of(snapshot.device_id)
                          if self.live.anyone_listening else None)
        if not await self.stores.devices.apply(snapshot):
            return
        owner = snapshot.owner.user_id if snapshot.owner else None
        if previous_owner and previous_owner != owner:
            self.live.notify(previous_owner, LiveUpdate(
                "device_removed", {"device_id": snapshot.device_id}))
        self.live.notify(owner, LiveUpdate("device", {"device_id": snapshot.device_id}))

    async def on_user_access(self, access: UserAccess, _delivery: Delivery) -> None:
        """Keeps accounts and permissions; a disabled or deleted account loses its sessions."""
        await self.stores.access.apply(access)
        if account_usable(enabled=access.enabled, deleted=access.deleted):
            return  # sessions of an unusable stored state were revoked when it was stored
        current = await self.stores.access.get(access.user_id)  # an older replay changes nothing
        if current and not account_usable(enabled=current.enabled, deleted=current.deleted):
            revoked = await self.stores.sessions.revoke_user(access.user_id)
            log.info("sessions revoked", extra={"user_id": access.user_id, "count": revoked})

    async def on_command_status(self, event: CommandStatusChanged, _delivery: Delivery) -> None:
        """Keeps each command's latest status and history; frees the slot when it finished."""
        if carries_passcode(event):  # kept sealed before the status shows it acknowledged
            await self.stores.passcodes.keep(event)
        applied = await self.stores.commands.apply(event)
        if not is_pending(event.status):
            await self.stores.claims.release_slot(event.device_id, event.action.value,
                                                  event.command_id)
        if not applied or not self.live.anyone_listening:
            return
        update = LiveUpdate("command", {
            "command_id": event.command_id, "device_id": event.device_id,
            "action": event.action.value, "status": event.status.value,
            "reason": event.reason, "at": event.occurred_at.isoformat()})
        owner = await self.stores.devices.owner_of(event.device_id)
        self.live.notify(event.requested_by, update)
        if owner != event.requested_by:
            self.live.notify(owner, update)
