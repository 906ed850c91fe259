"""Live updates for this instance's SSE streams, from every partition.

The projection consumers share one consumer group per deployment, so each instance processes
only its share of the partitions; a browser connected to instance 1 would never hear of a
status processed by instance 2. So each instance also reads `ssp.devices` and
`ssp.commands.status` in a consumer group of its own (named after its instance id, starting
at the topics' end), only to notify its own listeners; the projections stay with the shared
group. A stale or redelivered record is recognised by its version and not announced.
"""

from __future__ import annotations

from collections import OrderedDict

from ssp_contracts.commands import CommandStatusChanged
from ssp_contracts.devices import DeviceSnapshot
from ssp_runtime.consuming import Delivery

from portal_gateway.live_updates import LiveUpdate, LiveUpdates
from portal_gateway.memory_reads import DeviceMemory
from portal_gateway.store.devices import DeviceProjection

REMEMBERED = 50_000  # devices and commands whose latest version this instance remembers


class _Latest:
    """Latest version (and owner) per id, forgetting the least recently changed ones."""

    def __init__(self, size: int = REMEMBERED) -> None:
        self._items: OrderedDict[str, tuple[int, str | None]] = OrderedDict()
        self._size = size

    def get(self, key: str) -> tuple[int, str | None] | None:
        return self._items.get(key)

    def newer(self, key: str, version: int, owner: str | None = None) -> bool:
        """Record `version` unless an equal or newer one was seen; True if recorded."""
        seen = self._items.get(key)
        if seen is not None and seen[0] >= version:
            return False
        self._items[key] = (version, owner)
        self._items.move_to_end(key)
        while len(self._items) > self._size:
            self._items.popitem(last=False)
        return True

    def forget(self, key: str) -> None:
        self._items.pop(key, None)


class LiveFeed:
    def __init__(self, devices: DeviceProjection, live: LiveUpdates,
                 memory: DeviceMemory | None = None) -> None:
        self.devices = devices
        self.live = live
        self.memory = memory
        self.device_versions = _Latest()
        self.command_versions = _Latest()

    async def _owner(self, device_id: str) -> str | None:
        """Last owner seen on the stream, else the projection's."""
        seen = self.device_versions.get(device_id)
        return seen[1] if seen is not None else await self.devices.owner_of(device_id)

    async def announce_device(self, snapshot: DeviceSnapshot | None,
                              delivery: Delivery, *, stored: bool = False) -> None:
        """Announces device changes, and removals to the owner who lost the device. `stored`:
        this instance's projection now holds the change, so it is announced again even if the
        feed already did (a page that reloaded on the first announcement read older data)."""
        if self.memory is not None:  # memory reads: every instance's copy stays current
            if snapshot is not None:
                self.memory.apply(snapshot)
            elif delivery.key:
                self.memory.remove(delivery.key)
        if snapshot is None:
            if delivery.key and self.live.anyone_listening:
                owner = await self._owner(delivery.key)
                self.live.notify(owner, LiveUpdate("device_removed",
                                                   {"device_id": delivery.key}))
            if delivery.key:
                self.device_versions.forget(delivery.key)
            return
        owner = snapshot.owner.user_id if snapshot.owner else None
        previous = await self._owner(snapshot.device_id) if self.live.anyone_listening else None
        if not self.device_versions.newer(snapshot.device_id, snapshot.version, owner) \
                and not stored:
            return
        if previous and previous != owner:
            self.live.notify(previous, LiveUpdate("device_removed",
                                                  {"device_id": snapshot.device_id}))
        self.live.notify(owner, LiveUpdate("device", {"device_id": snapshot.device_id}))

    async def announce_command_status(self, event: CommandStatusChanged,
                                      _delivery: Delivery, *, stored: bool = False) -> None:
        """Announces a command's new status to its requester and to the device's owner
        (`stored`: as for devices)."""
        if not self.command_versions.newer(event.command_id, event.version) and not stored:
            return
        if not self.live.anyone_listening:
            return
        update = LiveUpdate("command", {
            "command_id": event.command_id, "device_id": event.device_id,
            "action": event.action.value, "status": event.status.value,
            "reason": event.reason, "at": event.occurred_at.isoformat()})
        owner = await self._owner(event.device_id)
        self.live.notify(event.requested_by, update)
        if owner != event.requested_by:
            self.live.notify(owner, update)
