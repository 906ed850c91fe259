"""Authorizer decisions, one document per command (`_id` = command id) with the outgoing events
in its outbox, written in ONE insert: a redelivered request collides on `_id` and yields no
second decision."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from pymongo.errors import OperationFailure
from ssp_contracts.base import Event
from ssp_contracts.commands import CommandRequested
from ssp_runtime.mongo import Database
from ssp_runtime.outbox import OUTBOX, OutboxRelay

from permission_service.domain.authorizer import Decision
from permission_service.store.duplicates import is_duplicate_key
from permission_service.store.pending_events import entries_for

DECISIONS = "decisions"
Doc = dict[str, Any]


class DecisionStore:
    def __init__(self, db: Database, outbox: OutboxRelay, source: str) -> None:
        self.outbox = outbox
        self.col = db[DECISIONS]
        self.source = source

    async def exists(self, command_id: str) -> bool:
        return await self.col.find_one({"_id": command_id}, {"_id": 1}) is not None

    async def insert(self, request: CommandRequested, decision: Decision,
                     events: Iterable[Event], now: datetime) -> bool:
        """False when the command was decided already (a redelivered request)."""
        doc = {"_id": request.command_id, "org_id": request.org_id,
               "device_id": request.device_id, "action": request.action.value,
               "requested_by": request.requested_by, "authorized": decision.authorized,
               "code": decision.code, "reason": decision.reason, "decided_at": now,
               OUTBOX: entries_for(events, self.source)}
        try:
            await self.col.insert_one(doc)
        except OperationFailure as error:
            if is_duplicate_key(error):
                return False
            raise
        self.outbox.kick(DECISIONS, request.command_id)
        return True

    async def forget_older_than(self, cutoff: datetime) -> int:
        """Drop decisions whose events have left, decided before `cutoff`. Keeps the collection
        (which the outbox sweep scans) bounded; `cutoff` must lie beyond the retention of
        `ssp.commands.requested`, so any redelivery still finds its decision."""
        result = await self.col.delete_many(
            {"decided_at": {"$lt": cutoff}, f"{OUTBOX}.0": {"$exists": False}})
        return result.deleted_count
