"""Devices: the state document, its lookup keys, and the snapshot/audit events of each change
in the same update (outbox), guarded by the state's version."""

from __future__ import annotations

from typing import Any

from pymongo import ASCENDING
from pymongo.errors import DuplicateKeyError
from ssp_contracts.audit import AuditRecord
from ssp_contracts.topics import AUDIT
from ssp_contracts.topics import DEVICES as SNAPSHOTS
from ssp_runtime.mongo import guarded_update
from ssp_runtime.outbox import OutboxRelay, outbox_entry, push_outbox

from device_registry.domain import DeviceState, to_snapshot
from device_registry.domain.identifiers import normalise_key

DEVICES = "devices"
Doc = dict[str, Any]
KEY_KINDS = ("serial_number", "udid", "imei")
_STATE_FIELDS = frozenset(DeviceState.model_fields)


class DeviceStore:
    def __init__(self, db: Any, outbox: OutboxRelay, source: str) -> None:
        self.db = db
        self.col = db[DEVICES]
        self.outbox = outbox
        self.source = source
        outbox.watch(DEVICES)

    async def create_indexes(self) -> None:
        for kind in KEY_KINDS:
            await self.col.create_index([("org_id", ASCENDING), (f"keys.{kind}", ASCENDING)])
        await self.col.create_index([("org_id", ASCENDING), ("owner.user_id", ASCENDING)])

    async def get(self, device_id: str) -> DeviceState | None:
        doc = await self.col.find_one({"_id": device_id})
        return _state(doc) if doc else None

    async def save(self, before: DeviceState | None, after: DeviceState,
                   audits: list[AuditRecord] | None = None) -> bool:
        """Write `after` and publish its snapshot; False if the stored version moved on (the
        caller reloads and folds again) or the device was created meanwhile."""
        entries = [outbox_entry(SNAPSHOTS, to_snapshot(after), source=self.source)]
        entries += [outbox_entry(AUDIT, a, source=self.source) for a in audits or []]
        fields = after.model_dump(mode="python") | {"keys": _keys(after)}
        if before is None:
            try:
                await self.col.insert_one({"_id": after.device_id, **fields, "_outbox": entries})
            except DuplicateKeyError:
                return False
        else:
            if not await guarded_update(self.db, DEVICES, after.device_id,
                                        {"version": before.version},
                                        {"$set": fields, "$push": push_outbox(*entries)}):
                return False
        self.outbox.kick(DEVICES, after.device_id)
        return True

    async def find_by_keys(self, org_id: str, kind: str, values: list[str]) -> dict[str, Doc]:
        """Devices of `org_id` whose `kind` key is one of `values`, by that key."""
        if kind == "device_id":
            cursor = self.col.find({"org_id": org_id, "_id": {"$in": values}})
            return {d["_id"]: d async for d in cursor}
        cursor = self.col.find({"org_id": org_id, f"keys.{kind}": {"$in": values}})
        return {d["keys"][kind]: d async for d in cursor}


def _keys(state: DeviceState) -> dict[str, str]:
    ids = state.identifiers
    values = {"serial_number": ids.serial_number, "udid": ids.udid, "imei": ids.imei}
    return {k: normalise_key(k, v) for k, v in values.items() if v}


def _state(doc: Doc) -> DeviceState:
    return DeviceState.model_validate({k: v for k, v in doc.items() if k in _STATE_FIELDS})
