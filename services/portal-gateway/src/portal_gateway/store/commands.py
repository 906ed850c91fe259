"""The command projection: per command its latest status (version-guarded) and its history.

The gateway records a command as `requested` (version 0) right after publishing it, with one
insert (the command id is new); the status topic's versions start at 1, so they always win
over that first entry. History steps are added with `$addToSet` of the whole step, so a
replayed status adds nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pymongo import ASCENDING, DESCENDING, UpdateOne
from pymongo.errors import DuplicateKeyError
from ssp_contracts.commands import REQUESTED_VERSION, CommandRequested, CommandStatusChanged
from ssp_contracts.enums import TERMINAL_STATUSES, Action, CommandStatus
from ssp_runtime.mongo import BULK_LIMIT, Database, apply_if_newer

from portal_gateway.domain.command_view import (
    CommandPublic,
    LostModeContact,
    StatusStep,
    lost_mode_contact,
    ordered_history,
)

UNSUCCESSFUL = TERMINAL_STATUSES - {CommandStatus.ACKNOWLEDGED}


def _public(doc: dict[str, Any]) -> CommandPublic:
    steps = [StatusStep.model_validate(s) for s in doc.get("history", [])]
    return CommandPublic(
        command_id=doc["_id"], device_id=doc["device_id"], action=doc["action"],
        status=doc["status"], requested_by=doc["requested_by"],
        requested_at=doc.get("requested_at"), updated_at=doc.get("updated_at"),
        reason_code=doc.get("reason_code"), reason=doc.get("reason"), result=doc.get("result"),
        history=ordered_history(steps))


class CommandProjection:
    def __init__(self, db: Database) -> None:
        self.coll = db["commands"]

    async def create_indexes(self) -> None:
        await self.coll.create_index([("device_id", ASCENDING), ("org_id", ASCENDING),
                                      ("updated_at", DESCENDING)])

    async def record_requested(self, event: CommandRequested) -> bool:
        step = StatusStep(status=CommandStatus.REQUESTED, version=REQUESTED_VERSION,
                          at=event.requested_at)
        fields: dict[str, Any] = {
            "org_id": event.org_id, "device_id": event.device_id, "action": event.action,
            "requested_by": event.requested_by, "requested_at": event.requested_at,
            "status": CommandStatus.REQUESTED, "updated_at": event.requested_at,
        }
        # The page shows it while lost mode is on.
        contact = ({"lost_mode_contact": lost_mode_contact(event.params).model_dump()}
                   if event.action is Action.ENABLE_LOST_MODE else {})
        try:
            await self.coll.insert_one({"_id": event.command_id, **fields, **contact,
                                        "version": REQUESTED_VERSION,
                                        "history": [step.model_dump(mode="python")]})
            return True
        except DuplicateKeyError:  # a status got here first: it wins on its version
            pass
        applied = await self._apply(event.command_id, REQUESTED_VERSION, fields, step)
        if contact:
            # Written whatever the version: a status has neither the parameters nor the
            # request time.
            await self.coll.update_one({"_id": event.command_id}, {"$set": {
                **contact, "requested_at": event.requested_at}})
        return applied

    async def apply(self, event: CommandStatusChanged) -> bool:
        return bool(await self.apply_many([event]))

    async def apply_many(self, events: Sequence[CommandStatusChanged]
                         ) -> list[CommandStatusChanged]:
        """Statuses of a consumed batch in a few round trips, whatever its size: every
        command's stored version read at once, then one upsert per command (its newest status
        if newer than what is stored, and every step into its history). Replaying a batch
        changes nothing. Returns the statuses that became their command's latest."""
        if not events:
            return []
        newest: dict[str, CommandStatusChanged] = {}
        steps: dict[str, list[dict[str, Any]]] = {}
        for event in events:
            if event.command_id not in newest or event.version > newest[event.command_id].version:
                newest[event.command_id] = event
            steps.setdefault(event.command_id, []).append(_step(event).model_dump(mode="python"))
        stored = {d["_id"]: d.get("version", -1) async for d in self.coll.find(
            {"_id": {"$in": list(newest)}}, {"version": 1})}
        applied = [e for cid, e in newest.items() if stored.get(cid, -1) < e.version]
        latest = {e.command_id for e in applied}
        updates = [UpdateOne({"_id": cid}, {
            "$addToSet": {"history": {"$each": steps[cid]}},
            **({"$set": {**_fields(event), "version": event.version}}
               if cid in latest else {})}, upsert=True) for cid, event in newest.items()]
        for start in range(0, len(updates), BULK_LIMIT):
            await self.coll.bulk_write(updates[start:start + BULK_LIMIT], ordered=False)
        return applied

    async def _apply(self, command_id: str, version: int, fields: dict[str, Any],
                     step: StatusStep) -> bool:
        applied = await apply_if_newer(self.coll, command_id, version, fields)
        # Unconditional and idempotent: a crash between the two writes heals on redelivery.
        await self.coll.update_one(
            {"_id": command_id}, {"$addToSet": {"history": step.model_dump(mode="python")}})
        return applied

    async def get(self, org_id: str, command_id: str) -> CommandPublic | None:
        doc = await self.coll.find_one({"_id": command_id, "org_id": org_id})
        return None if doc is None else _public(doc)

    async def of_ids(self, org_id: str, command_ids: list[str]) -> dict[str, CommandPublic]:
        """command id -> command, for those this projection holds."""
        if not command_ids:
            return {}
        cursor = self.coll.find({"_id": {"$in": command_ids}, "org_id": org_id})
        return {doc["_id"]: _public(doc) async for doc in cursor}

    async def for_device(self, org_id: str, device_id: str, *, owner_id: str,
                         linked_at: datetime | None, limit: int = 50) -> list[CommandPublic]:
        """The device's commands its current owner may see: their own, and any requested
        since the device was linked to them (not a previous owner's, nor their results)."""
        since: dict[str, Any] = {"$gte": linked_at} if linked_at else {"$exists": True}
        cursor = (self.coll.find({"device_id": device_id, "org_id": org_id, "$or": [
            {"requested_by": owner_id},
            {"requested_at": since},
            {"requested_at": {"$exists": False}, "updated_at": since},  # seen via status only
        ]}).sort("updated_at", DESCENDING).limit(limit))
        return [_public(doc) async for doc in cursor]

    async def lost_mode_contact(self, org_id: str, device_id: str,
                                since: datetime | None) -> LostModeContact | None:
        """What the device's lock screen says since its lost mode was last turned on: the
        newest `enable_lost_mode` that did not end unsuccessfully, requested since `since`
        (the link to its owner; an earlier owner's phone number is not theirs to see). Not
        only acknowledged ones: the device's snapshot may say "lost mode" before the
        acknowledgement reaches this projection."""
        found: dict[str, Any] = {
            "device_id": device_id, "org_id": org_id,
            "status": {"$nin": sorted(s.value for s in UNSUCCESSFUL)},
            "action": Action.ENABLE_LOST_MODE, "lost_mode_contact": {"$exists": True}}
        if since is not None:
            found["requested_at"] = {"$gte": since}
        doc = await self.coll.find_one(found, sort=[("requested_at", DESCENDING)])
        return None if doc is None else LostModeContact.model_validate(doc["lost_mode_contact"])


def _step(event: CommandStatusChanged) -> StatusStep:
    return StatusStep(status=event.status, version=event.version, at=event.occurred_at,
                      reason_code=event.reason_code, reason=event.reason)


def _fields(event: CommandStatusChanged) -> dict[str, Any]:
    # A sealed passcode is kept apart (store/passcode_secrets.py), never in the history.
    result = (event.result.model_dump(mode="python", exclude={"sealed_secret"})
              if event.result else None)
    return {"org_id": event.org_id, "device_id": event.device_id, "action": event.action,
            "requested_by": event.requested_by, "status": event.status,
            "updated_at": event.occurred_at, "reason_code": event.reason_code,
            "reason": event.reason, "result": result}
