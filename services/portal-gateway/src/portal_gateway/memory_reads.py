"""Opt-in in-memory reads for the hot path (`SSP_MEMORY_READS=true`): `GET /api/v1/devices`
and every request's session and account look-ups answered without a database round trip.

Why: FerretDB v1 answers a filter other than `_id` alone by scanning the collection
(measured 70 ms per owner query at 3,000 devices) and serves one query at a time, so a
gateway reading its projections from it peaks near a dozen requests per second.

How it stays correct:
- devices and accounts are loaded from the projection at start-up and again every
  `SSP_MEMORY_RESYNC_S`, and every instance's live feed (all partitions, see `live_feed`)
  applies each snapshot as it arrives; both paths keep the newer version, so their order does
  not matter. A user with no device in memory is read from the database (and remembered), so a
  device the feed missed before its partitions were assigned is found anyway;
- reads stay filtered by org and owner, as in the database (BOLA-safe the same way);
- sessions are remembered for `SSP_SESSION_CACHE_S` seconds per instance, then read again
  (other instances move their idle clock); a session that ends on any instance is announced on
  `ssp.sessions` and forgotten by every instance at once, and a disabled account (from
  `ssp.access`) drops its sessions on every instance at once.
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import replace
from datetime import datetime
from typing import Any

from ssp_contracts.access import UserAccess
from ssp_contracts.devices import DeviceSnapshot
from ssp_contracts.sessions import SessionEnded
from ssp_runtime.mongo import Database

from portal_gateway.domain.access import Caller, account_usable
from portal_gateway.store.access import AccessProjection, _access
from portal_gateway.store.devices import DeviceProjection, _snapshot
from portal_gateway.store.sessions import SessionStore, StoredSession

Owner = tuple[str, str]  # (org id, user id)


class DeviceMemory:
    def __init__(self) -> None:
        self.by_id: dict[str, DeviceSnapshot] = {}
        self.by_owner: dict[Owner, set[str]] = defaultdict(set)
        self.known_owners: set[Owner] = set()  # read from the database at least once

    def apply(self, snapshot: DeviceSnapshot) -> None:
        held = self.by_id.get(snapshot.device_id)
        if held is not None and held.version >= snapshot.version:
            return
        if held is not None:
            self._unlink(held)
        self.by_id[snapshot.device_id] = snapshot
        if snapshot.owner is not None:
            self.by_owner[(snapshot.org_id, snapshot.owner.user_id)].add(snapshot.device_id)

    def remove(self, device_id: str) -> None:
        held = self.by_id.pop(device_id, None)
        if held is not None:
            self._unlink(held)

    def _unlink(self, snapshot: DeviceSnapshot) -> None:
        if snapshot.owner is not None:
            owned = self.by_owner.get((snapshot.org_id, snapshot.owner.user_id))
            if owned is not None:
                owned.discard(snapshot.device_id)

    def owned(self, caller: Caller) -> list[DeviceSnapshot] | None:
        """The caller's devices, or None when memory cannot tell (ask the database)."""
        key = (caller.org_id, caller.user_id)
        ids = self.by_owner.get(key)
        if ids is None and key not in self.known_owners:
            return None
        devices = [self.by_id[i] for i in ids or ()]
        return sorted(devices, key=lambda d: (d.name or "", d.device_id))


class MemoryDeviceProjection(DeviceProjection):
    def __init__(self, db: Database, memory: DeviceMemory) -> None:
        super().__init__(db)
        self.memory = memory

    async def load(self) -> int:
        count = 0
        async for doc in self.coll.find({}):
            self.memory.apply(_snapshot(doc))
            count += 1
        return count

    async def apply(self, snapshot: DeviceSnapshot) -> bool:
        applied = await super().apply(snapshot)
        self.memory.apply(snapshot)
        return applied

    async def delete(self, device_id: str) -> DeviceSnapshot | None:
        self.memory.remove(device_id)
        return await super().delete(device_id)

    async def _owned(self, caller: Caller) -> list[DeviceSnapshot]:
        devices = self.memory.owned(caller)
        if devices is not None:
            return devices
        devices = await super().owned_devices(caller)
        for device in devices:
            self.memory.apply(device)
        self.memory.known_owners.add((caller.org_id, caller.user_id))
        return devices

    async def owned_device(self, caller: Caller, device_id: str) -> DeviceSnapshot | None:
        return next((d for d in await self._owned(caller) if d.device_id == device_id), None)

    async def owned_devices(self, caller: Caller) -> list[DeviceSnapshot]:
        return await self._owned(caller)

    async def count_owned(self, caller: Caller) -> int:
        return len(await self._owned(caller))


class MemoryFeed:
    """What the live feed hands to memory on every instance (all partitions)."""

    def __init__(self, devices: DeviceMemory, access: MemoryAccessProjection,
                 sessions: CachedSessionStore) -> None:
        self.devices, self.access, self.sessions = devices, access, sessions

    async def remember_access(self, access: UserAccess, _delivery: Any) -> None:
        """Keeps every instance's accounts current; a disabled account loses its sessions."""
        self.access.remember(access)
        current = self.access.by_user.get(access.user_id)
        if current is not None and not account_usable(enabled=current.enabled,
                                                      deleted=current.deleted):
            self.sessions.forget_user(access.user_id)

    async def forget_session(self, ended: SessionEnded, _delivery: Any) -> None:
        """A session that ended on any instance (or here) is not answered from memory."""
        self.sessions.forget(ended.session_hash)


class MemoryAccessProjection(AccessProjection):
    def __init__(self, db: Database) -> None:
        super().__init__(db)
        self.by_user: dict[str, UserAccess] = {}

    def remember(self, access: UserAccess) -> None:
        held = self.by_user.get(access.user_id)
        if held is None or held.version < access.version:
            self.by_user[access.user_id] = access

    async def load(self) -> int:
        count = 0
        async for doc in self.coll.find({}):
            self.remember(_access(doc))
            count += 1
        return count

    async def apply(self, access: UserAccess) -> bool:
        applied = await super().apply(access)
        self.remember(access)
        return applied

    async def get(self, user_id: str) -> UserAccess | None:
        held = self.by_user.get(user_id)
        if held is not None:
            return held
        found = await super().get(user_id)
        if found is not None:
            self.remember(found)
        return found


class CachedSessionStore(SessionStore):
    def __init__(self, db: Database, keep_s: float) -> None:
        super().__init__(db)
        self.keep_s = keep_s
        self._held: dict[str, tuple[float, StoredSession]] = {}

    async def find(self, session_hash: str) -> StoredSession | None:
        held = self._held.get(session_hash)
        if held is not None and time.monotonic() - held[0] < self.keep_s:
            return held[1]
        found = await super().find(session_hash)
        if found is None:
            self._held.pop(session_hash, None)
        else:
            self._held[session_hash] = (time.monotonic(), found)
        return found

    async def touch(self, session_hash: str, now: datetime) -> None:
        await super().touch(session_hash, now)
        held = self._held.get(session_hash)
        if held is not None:  # the remembered copy is touched too (else it touches again)
            session = held[1]
            self._held[session_hash] = (held[0], replace(
                session, times=replace(session.times, last_seen_at=now)))

    async def rotate(self, old_hash: str, new_hash: str, *, now: datetime,
                     reauthenticated_at: datetime | None = None) -> bool:
        self._held.pop(old_hash, None)
        return await super().rotate(old_hash, new_hash, now=now,
                                    reauthenticated_at=reauthenticated_at)

    async def delete(self, session_hash: str) -> None:
        self._held.pop(session_hash, None)
        await super().delete(session_hash)

    async def revoke_user(self, user_id: str) -> int:
        self.forget_user(user_id)
        return await super().revoke_user(user_id)

    def forget(self, session_hash: str) -> None:
        self._held.pop(session_hash, None)

    def forget_user(self, user_id: str) -> None:
        for key in [k for k, (_, s) in self._held.items() if s.user_id == user_id]:
            self._held.pop(key, None)

    def forget_stale(self) -> None:
        cutoff = time.monotonic() - self.keep_s
        for key in [k for k, (t, _) in self._held.items() if t < cutoff]:
            self._held.pop(key, None)
