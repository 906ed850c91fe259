"""Commands and their lifecycle state, with the outbox of their status events.

Every command change and its status event are written
in one update of the command's document, so the two cannot diverge."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pymongo import ASCENDING
from pymongo.errors import DuplicateKeyError
from ssp_contracts.commands import CommandParams, CommandResult, CommandStatusChanged
from ssp_contracts.enums import Action, CommandStatus, ManagementMode, Platform
from ssp_contracts.topics import COMMANDS_STATUS
from ssp_runtime import tracing
from ssp_runtime.id_lists import IdLists
from ssp_runtime.mongo import Database
from ssp_runtime.outbox import OutboxRelay, outbox_entry, push_outbox

from command_dispatcher.lifecycle import PENDING, Command, to_status_event
from command_dispatcher.metrics import CommandMetrics

COMMANDS = "commands"
# Per device, the commands that may still be pending (see ssp_runtime.id_lists).
PENDING_BY_DEVICE = "pending_by_device"
_PENDING_VALUES = sorted(s.value for s in PENDING)
Doc = dict[str, Any]


class CommandStore:
    def __init__(self, db: Database, outbox: OutboxRelay, source: str,
                 metrics: CommandMetrics | None = None) -> None:
        self.db = db
        self.metrics = metrics
        self.col = db[COMMANDS]
        self.pending = IdLists(db, PENDING_BY_DEVICE)
        self.outbox = outbox
        self.source = source
        outbox.watch(COMMANDS)

    async def create_indexes(self) -> None:
        await self.col.create_index([("device_id", ASCENDING), ("status", ASCENDING),
                                     ("created_at", ASCENDING)])
        await self.col.create_index([("status", ASCENDING), ("expires_at", ASCENDING)])
        await self.backfill_pending_index()

    async def backfill_pending_index(self) -> int:
        """Lists every pending command in its device's entry (commands stored before the index
        existed, or an entry lost with a crash)."""
        return await self.pending.backfill(self.col, {"status": {"$in": _PENDING_VALUES}},
                                           "device_id")

    async def insert(self, cmd: Command, params: CommandParams, platform: Platform,
                     mode: ManagementMode, events: list[CommandStatusChanged]) -> bool:
        """False when the command id is known already (a redelivered request)."""
        doc = _to_doc(cmd) | {"params": params.model_dump(exclude_none=True),
                              "platform": platform.value, "management_mode": mode.value,
                              "traceparent": tracing.current_headers().get("traceparent"),
                              "_outbox": [self._entry(e) for e in events]}
        if cmd.status in PENDING:  # listed first: an id too many is harmless, one too few not
            await self.pending.add(cmd.device_id, cmd.command_id)
        try:
            await self.col.insert_one(doc)
        except DuplicateKeyError:
            return False
        self.outbox.kick(COMMANDS, cmd.command_id)
        if self.metrics:
            self.metrics.queued(cmd)
        return True

    async def record_refusal(self, command_id: str, event: CommandStatusChanged,
                             platform: Platform | None = None) -> bool:
        """A command answered without queueing (duplicate pending, unsupported): stored so a
        redelivery does not answer twice."""
        doc = {"_id": command_id, "command_id": command_id, "device_id": event.device_id,
               "org_id": event.org_id, "action": event.action.value, "status": event.status.value,
               "version": event.version, "requested_by": event.requested_by,
               "reason_code": event.reason_code, "reason": event.reason,
               "created_at": event.occurred_at, "expires_at": event.occurred_at,
               "_outbox": [self._entry(event)]}
        if platform is not None:
            doc["platform"] = platform.value
        try:
            await self.col.insert_one(doc)
        except DuplicateKeyError:
            return False
        self.outbox.kick(COMMANDS, command_id)
        if self.metrics:
            self.metrics.refused(doc.get("platform"), event.action.value, event.status,
                                 event.reason_code)
        return True

    async def save(self, before: Command, after: Command, extra: Doc | None = None) -> bool:
        """Optimistic write of a transition; False if someone else changed the command first.
        A transition the device causes (its answer, over its own HTTP request) is traced in
        the command's own trace."""
        event = to_status_event(after, after.history[-1][1])
        with tracing.resumed(after.traceparent, f"command {after.status.value}",
                             **{"ssp.command_id": after.command_id,
                                "ssp.action": after.action.value}):
            saved = await self.db.guarded_update(
                COMMANDS, before.command_id, {"version": before.version},
                {"$set": _to_doc(after) | (extra or {}),
                 "$push": push_outbox(self._entry(event))})
        if saved and before.status in PENDING and after.status not in PENDING:
            await self.pending.remove(after.device_id, [after.command_id])
        if saved:
            self.outbox.kick(COMMANDS, after.command_id)
            if self.metrics:
                self.metrics.changed(after)
        return saved

    async def get(self, command_id: str) -> tuple[Command, Doc] | None:
        doc = await self.col.find_one({"_id": command_id})
        return (_from_doc(doc), doc) if doc else None

    async def pending_for_device(self, device_id: str) -> list[tuple[Command, Doc]]:
        """The device's queued and sent commands, oldest first."""
        docs = await self.pending.load(device_id, self.col, lambda d: (
            d.get("device_id") == device_id and d.get("status") in _PENDING_VALUES))
        docs.sort(key=lambda d: (d["created_at"], d["_id"]))
        return [(_from_doc(d), d) for d in docs]

    async def devices_with_pending(self, platforms: list[Platform]) -> set[str]:
        """Devices that still have queued or sent commands of these platforms."""
        cursor = self.col.find(
            {"status": {"$in": _PENDING_VALUES},
             "platform": {"$in": [p.value for p in platforms]}}, {"device_id": 1})
        return {d["device_id"] async for d in cursor}

    async def overdue(self, now: datetime, limit: int = 500) -> list[Command]:
        cursor = self.col.find(
            {"status": {"$in": _PENDING_VALUES}, "expires_at": {"$lte": now}}
        ).limit(limit)
        return [_from_doc(d) async for d in cursor]

    async def pending_of(self, platform: Platform, limit: int = 500) -> list[tuple[Command, Doc]]:
        """Queued and sent commands of `platform`, with their documents."""
        cursor = self.col.find({"status": {"$in": _PENDING_VALUES},
                                "platform": platform.value}).limit(limit)
        return [(_from_doc(d), d) async for d in cursor]

    async def claim(self, cmd: Command, field: str, owner: str, until: datetime) -> bool:
        """Hold `field` as `{by: owner, until}` on a command still at `cmd`'s version: taken
        when nobody holds it, renewed when `owner` does; False otherwise. The command's
        version and events stay as they are: a claim is bookkeeping, not a transition."""
        return await self.db.guarded_update(
            COMMANDS, cmd.command_id,
            {"version": cmd.version, "status": cmd.status.value,
             "$or": [{field: {"$exists": False}}, {f"{field}.by": owner}]},
            {"$set": {field: {"by": owner, "until": until}}})

    def _entry(self, event: CommandStatusChanged) -> Doc:
        return outbox_entry(COMMANDS_STATUS, event, source=self.source)


def _to_doc(cmd: Command) -> Doc:
    return {
        "_id": cmd.command_id, "command_id": cmd.command_id, "org_id": cmd.org_id,
        "device_id": cmd.device_id, "action": cmd.action.value,
        "requested_by": cmd.requested_by, "status": cmd.status.value, "version": cmd.version,
        "created_at": cmd.created_at, "expires_at": cmd.expires_at,
        "reason_code": cmd.reason_code, "reason": cmd.reason,
        "result": cmd.result.model_dump(mode="json") if cmd.result else None,
        # Sub-documents, not pairs: FerretDB v1 stores no arrays of arrays.
        "attempts": cmd.attempts, "history": [{"status": s, "at": t} for s, t in cmd.history],
    }


def _from_doc(doc: Doc) -> Command:
    return Command(
        command_id=doc["_id"], org_id=doc["org_id"], device_id=doc["device_id"],
        action=Action(doc["action"]), requested_by=doc["requested_by"],
        status=CommandStatus(doc["status"]), version=doc["version"],
        created_at=doc["created_at"], expires_at=doc["expires_at"],
        reason_code=doc.get("reason_code"), reason=doc.get("reason"),
        result=CommandResult.model_validate(doc["result"]) if doc.get("result") else None,
        attempts=doc.get("attempts", 0),
        history=tuple((h["status"], h["at"]) for h in doc.get("history", [])),
        platform=doc.get("platform"), traceparent=doc.get("traceparent"),
    )
