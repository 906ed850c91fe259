"""Authorizer decisions, one document per command (`_id` = command id) with the outgoing events
in its outbox, written in ONE insert: a redelivered request collides on `_id` and yields no
second decision."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from pymongo.errors import OperationFailure
from ssp_contracts.base import Event
from ssp_contracts.commands import CommandCancelRequested, CommandRequested
from ssp_contracts.policy import Decision
from ssp_runtime.mongo import Database
from ssp_runtime.outbox import OUTBOX, OutboxRelay, outbox_entry, push_outbox
from ssp_runtime.signing import Signer

from permission_service.store.duplicates import is_duplicate_key
from permission_service.store.pending_events import entries_for

DECISIONS = "decisions"
Doc = dict[str, Any]


class DecisionStore:
    def __init__(self, db: Database, outbox: OutboxRelay, source: str, signer: Signer) -> None:
        self.outbox = outbox
        self.col = db[DECISIONS]
        self.source = source
        self.signer = signer  # signs each CommandAuthorized, in the outbox entry itself

    async def exists(self, command_id: str) -> bool:
        return await self.col.find_one({"_id": command_id}, {"_id": 1}) is not None

    async def insert(self, request: CommandRequested, decision: Decision,
                     events: Iterable[Event], now: datetime) -> bool:
        """False when the command was decided already (a redelivered request)."""
        doc = {"_id": request.command_id, "org_id": request.org_id,
               "device_id": request.device_id, "action": request.action.value,
               "requested_by": request.requested_by, "authorized": decision.authorized,
               "code": decision.code, "reason": decision.reason, "decided_at": now,
               OUTBOX: entries_for(events, self.source, self.signer)}
        try:
            await self.col.insert_one(doc)
        except OperationFailure as error:
            if is_duplicate_key(error):
                return False
            raise
        self.outbox.kick(DECISIONS, request.command_id)
        return True

    async def forward_cancel(self, cancel: CommandCancelRequested, topic: str,
                             event_id: str) -> bool:
        """Queue the cancel behind the command's own CommandAuthorized (same document, same
        outbox, so it reaches the dispatcher after it). Only for a command authorized here,
        in the cancel's org and on its device; a redelivered cancel (`event_id`) is queued
        once. False when there is nothing to forward it to."""
        result = await self.col.update_one(
            {"_id": cancel.command_id, "authorized": True, "org_id": cancel.org_id,
             "device_id": cancel.device_id, "cancels": {"$ne": event_id}},
            {"$push": push_outbox(outbox_entry(topic, cancel, source=self.source)),
             "$addToSet": {"cancels": event_id}})
        if result.modified_count:
            self.outbox.kick(DECISIONS, cancel.command_id)
        return bool(result.modified_count)

    async def forget_older_than(self, cutoff: datetime) -> int:
        """Drop decisions whose events have left, decided before `cutoff`. Keeps the collection
        (which the outbox sweep scans) bounded; `cutoff` must lie beyond the retention of
        `ssp.commands.requested`, so any redelivery still finds its decision."""
        result = await self.col.delete_many(
            {"decided_at": {"$lt": cutoff}, f"{OUTBOX}.0": {"$exists": False}})
        return result.deleted_count
