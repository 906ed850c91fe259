"""`ssp.devices` in: the authorizer's own view of each device (owner, platform, mode, state)."""

from __future__ import annotations

from ssp_contracts.devices import DeviceSnapshot
from ssp_contracts.policy import DeviceFacts
from ssp_runtime.consuming import Delivery, PermanentError

from permission_service.store import Stores


class DeviceProjection:
    def __init__(self, stores: Stores) -> None:
        self.stores = stores

    async def on_device_snapshot(self, snapshot: DeviceSnapshot | None,
                                 delivery: Delivery) -> None:
        """Keeps the newest view of each device; a tombstone (null record) deletes it."""
        if snapshot is None:
            if not delivery.key:
                raise PermanentError("tombstone without a key: no device to delete")
            await self.stores.devices.delete(delivery.key)
            return
        await self.stores.devices.apply(DeviceFacts.from_snapshot(snapshot), snapshot.version)
