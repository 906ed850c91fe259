"""Devices: the state document, its lookup keys, and the snapshot/audit events of each change
in the same update (outbox), guarded by the state's version."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pymongo import ASCENDING
from pymongo.errors import DuplicateKeyError
from ssp_contracts.audit import AuditRecord
from ssp_contracts.device_keys import normalise_key
from ssp_contracts.topics import AUDIT
from ssp_contracts.topics import DEVICES as SNAPSHOTS
from ssp_runtime.mongo import BULK_LIMIT, Database, GuardedUpdate
from ssp_runtime.outbox import OutboxRelay, outbox_entry, push_outbox

from device_registry.domain import DeviceState, to_snapshot
from device_registry.store.key_index import KeyIndex

DEVICES = "devices"
DEVICE_KEYS = "device_keys"
IMPORT_MARK = "_import"
Doc = dict[str, Any]
KEY_KINDS = ("serial_number", "udid", "imei")
_STATE_FIELDS = frozenset(DeviceState.model_fields)


@dataclass(frozen=True)
class LinkChange:
    """One device's new state from an import, with its audit and the import's mark."""

    before: DeviceState
    after: DeviceState
    audit: AuditRecord
    mark: dict[str, Any]


class DeviceStore:
    def __init__(self, db: Database, outbox: OutboxRelay, source: str) -> None:
        self.db = db
        self.col = db[DEVICES]
        self.keys = KeyIndex(db, DEVICE_KEYS)
        self.outbox = outbox
        self.source = source
        outbox.watch(DEVICES)

    async def create_indexes(self) -> None:
        for kind in KEY_KINDS:
            await self.col.create_index([("org_id", ASCENDING), (f"keys.{kind}", ASCENDING)])
        await self.col.create_index([("org_id", ASCENDING), ("owner.user_id", ASCENDING)])

    async def get(self, device_id: str) -> DeviceState | None:
        doc = await self.col.find_one({"_id": device_id})
        return state_of(doc) if doc else None

    async def save(self, before: DeviceState | None, after: DeviceState,
                   audits: list[AuditRecord] | None = None) -> bool:
        """Write `after` and publish its snapshot; False if the stored version moved on (the
        caller reloads and folds again) or the device was created meanwhile."""
        entries = self._entries(after, audits or [])
        fields = after.model_dump(mode="python") | {"keys": _keys(after)}
        if before is None or _keys(before) != fields["keys"]:
            # Before the device: an entry ahead of its device is checked away by readers.
            await self.keys.put(after.org_id, after.device_id, fields["keys"])
        if before is None:
            try:
                await self.col.insert_one({"_id": after.device_id, **fields, "_outbox": entries})
            except DuplicateKeyError:
                return False
        else:
            if not await self.db.guarded_update(DEVICES, after.device_id,
                                                {"version": before.version},
                                                {"$set": fields, "$push": push_outbox(*entries)}):
                return False
        self.outbox.kick(DEVICES, after.device_id)
        return True

    async def find_by_keys(self, org_id: str, kind: str, values: list[str]) -> dict[str, Doc]:
        """Devices of `org_id` whose `kind` key is one of `values`, by that key."""
        if kind == "device_id":
            ids = {value: value for value in values}
        else:
            ids = await self.keys.lookup(org_id, kind, values)
        by_id = await self.by_ids(sorted(set(ids.values())))
        found: dict[str, Doc] = {}
        for value, device_id in ids.items():
            doc = by_id.get(device_id)
            if doc is None or doc["org_id"] != org_id:
                continue
            key = doc["_id"] if kind == "device_id" else (doc.get("keys") or {}).get(kind)
            if key == value:  # a stale index entry is no match
                found[value] = doc
        return found

    async def by_ids(self, device_ids: list[str]) -> dict[str, Doc]:
        if not device_ids:
            return {}
        return {d["_id"]: d async for d in self.col.find({"_id": {"$in": device_ids}})}

    async def link_many(self, changes: list[LinkChange]) -> set[str]:
        """Write the link changes of an import chunk in few round trips; each device's update
        carries its snapshot and audit (outbox) and the import's mark. Returns the ids of the
        devices whose version moved meanwhile (not written; the caller decides them again)."""
        raced: set[str] = set()
        for start in range(0, len(changes), BULK_LIMIT):
            raced |= await self._link_batch(changes[start:start + BULK_LIMIT])
        for change in changes:
            if change.after.device_id not in raced:
                self.outbox.kick(DEVICES, change.after.device_id)
        return raced

    async def _link_batch(self, batch: list[LinkChange]) -> set[str]:
        return await self.db.guarded_updates(DEVICES, [GuardedUpdate(
            c.after.device_id, condition={"version": c.before.version},
            update={"$set": c.after.model_dump(mode="python") | {"keys": _keys(c.after),
                                                                 IMPORT_MARK: c.mark},
                    "$push": push_outbox(*self._entries(c.after, [c.audit]))},
            applied={"version": c.after.version}) for c in batch])

    def _entries(self, after: DeviceState, audits: list[AuditRecord]) -> list[dict[str, Any]]:
        entries = [outbox_entry(SNAPSHOTS, to_snapshot(after), source=self.source)]
        return entries + [outbox_entry(AUDIT, a, source=self.source) for a in audits]

    async def all_keys(self) -> list[tuple[str, str, str, str]]:
        """(org, kind, value, device id) of every device: backfills the key index."""
        cursor = self.col.find({}, {"org_id": 1, "keys": 1})
        return [(d["org_id"], kind, value, d["_id"]) async for d in cursor
                for kind, value in (d.get("keys") or {}).items()]


def _keys(state: DeviceState) -> dict[str, str]:
    ids = state.identifiers
    values = {"serial_number": ids.serial_number, "udid": ids.udid, "imei": ids.imei}
    return {k: normalise_key(k, v) for k, v in values.items() if v}


def state_of(doc: Doc) -> DeviceState:
    return DeviceState.model_validate({k: v for k, v in doc.items() if k in _STATE_FIELDS})
