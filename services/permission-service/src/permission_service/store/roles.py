"""Roles, one document each (`_id` = role id): the built-ins (written by the migration) and the
custom roles of every org, with the outbox of their audit records.

Deleting a custom role keeps a tombstone (its audit record must still leave through the
outbox); `refresh_pending` marks a role whose holders still need fresh access snapshots, so a
crash half-way is finished by the periodic sweep.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from pymongo import ASCENDING
from pymongo.errors import OperationFailure
from ssp_contracts.audit import AuditRecord
from ssp_runtime.mongo import Database
from ssp_runtime.outbox import OUTBOX, OutboxRelay, push_outbox

from permission_service.domain.errors import Conflict
from permission_service.domain.roles import Role
from permission_service.store.duplicates import is_duplicate_key
from permission_service.store.pending_events import entries_for

ROLES = "roles"
Doc = dict[str, Any]
LIVE: Doc = {"deleted": {"$ne": True}}  # built-ins from the migration have no `deleted` field


class RoleAlreadyStored(Exception):
    """A role with this id exists: the same create request arrived again."""


def role_document(fields: Mapping[str, Any]) -> Doc:
    """The stored form of a role: `_id` and the key of its per-org unique name."""
    return {**fields, "_id": fields["role_id"], "name_key": str(fields["name"]).casefold()}


def role_name_taken(name: str) -> Conflict:
    return Conflict("role.name_taken", f"A role named '{name}' already exists.")


class RoleStore:
    def __init__(self, db: Database, outbox: OutboxRelay, source: str) -> None:
        self.outbox = outbox
        self.col = db[ROLES]
        self.source = source

    async def create_indexes(self) -> None:
        # Two admins creating the same name at once: the domain's check cannot see the race.
        await self.col.create_index([("org_id", ASCENDING), ("name_key", ASCENDING)],
                                    unique=True, name="role_name_unique_per_org")

    async def get(self, role_id: str) -> Role | None:
        doc = await self.col.find_one({"_id": role_id, **LIVE}, {OUTBOX: 0})
        return Role.model_validate(doc) if doc else None

    async def custom_roles(self, org_id: str) -> list[Role]:
        cursor = self.col.find({"org_id": org_id, **LIVE}, {OUTBOX: 0})
        return [Role.model_validate(doc) async for doc in cursor]

    async def insert(self, role: Role, audit: AuditRecord) -> None:
        doc = role_document(role.model_dump()) | {
            "deleted": False, OUTBOX: entries_for([audit], self.source)}
        try:
            await self.col.insert_one(doc)
        except OperationFailure as error:
            if not is_duplicate_key(error):
                raise
            if await self.col.find_one({"_id": role.role_id}, {"_id": 1}):
                raise RoleAlreadyStored(role.role_id) from None
            raise role_name_taken(role.name) from None
        self.outbox.kick(ROLES, role.role_id)

    async def replace(self, old_version: int, role: Role, audit: AuditRecord,
                      now: datetime) -> bool:
        """Compare-and-set; marks the holders for a refresh in the same update."""
        return await self._write(old_version, role_document(role.model_dump()), audit, now)

    async def delete(self, role: Role, audit: AuditRecord, now: datetime) -> bool:
        """Tombstone: the name becomes free, holders lose the role at their next refresh."""
        fields = role_document(role.model_dump()) | {
            "deleted": True, "version": role.version + 1, "name_key": f"deleted:{role.role_id}"}
        return await self._write(role.version, fields, audit, now)

    async def _write(self, old_version: int, fields: Doc, audit: AuditRecord,
                     now: datetime) -> bool:
        fields = {k: v for k, v in fields.items() if k != "_id"} | {
            "refresh_pending": True, "refresh_requested_at": now}
        try:
            result = await self.col.update_one(
                {"_id": fields["role_id"], "version": old_version, **LIVE},
                {"$set": fields, "$push": push_outbox(*entries_for([audit], self.source))},
            )
        except OperationFailure as error:
            if is_duplicate_key(error):
                raise role_name_taken(fields["name"]) from None
            raise
        if result.modified_count != 1:
            return False
        self.outbox.kick(ROLES, fields["role_id"])
        return True

    async def awaiting_refresh(self, older_than: datetime) -> list[tuple[str, str, int]]:
        """(role id, org id, version) of roles whose holders were not all refreshed."""
        cursor = self.col.find(
            {"refresh_pending": True, "refresh_requested_at": {"$lt": older_than}},
            {"org_id": 1, "version": 1})
        return [(doc["_id"], doc["org_id"], doc["version"]) async for doc in cursor]

    async def refreshed(self, role_id: str, version: int) -> None:
        """Clear the mark, unless the role changed again meanwhile (that change refreshes)."""
        await self.col.update_one({"_id": role_id, "version": version},
                                  {"$unset": {"refresh_pending": "", "refresh_requested_at": ""}})
