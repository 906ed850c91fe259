"""Accounts, one document each (`_id` = user id), with the outbox of the events they caused.

Every admin change is a compare-and-set on the old `version` that writes the new state and its
events in ONE update. A rehash at login does not bump the version: it is no change anybody
else needs to hear about. Login throttles live apart (login_throttles.py).
"""

from __future__ import annotations

import re
from typing import Any

from pymongo import ASCENDING
from pymongo.errors import OperationFailure
from ssp_runtime.mongo import Database
from ssp_runtime.outbox import OUTBOX, OutboxRelay, push_outbox

from permission_service.domain.account_changes import AccountChange
from permission_service.domain.accounts import Account, username_key, username_taken
from permission_service.store.duplicates import is_duplicate_key
from permission_service.store.pending_events import entries_for

ACCOUNTS = "accounts"
Doc = dict[str, Any]


class AlreadyStored(Exception):
    """An account with this id exists: the same create request arrived again."""


class AccountStore:
    def __init__(self, db: Database, outbox: OutboxRelay, source: str) -> None:
        self.outbox = outbox
        self.col = db[ACCOUNTS]
        self.source = source

    async def create_indexes(self) -> None:
        # Deleted accounts carry "deleted:<id>" as key, so their usernames are free again.
        await self.col.create_index([("org_id", ASCENDING), ("username_key", ASCENDING)],
                                    unique=True, name="username_unique_per_org")
        await self.col.create_index([("role_ids", ASCENDING)], name="holders_of_role")

    async def get(self, user_id: str) -> Account | None:
        """The account, deleted ones included (callers decide what a tombstone means)."""
        doc = await self.col.find_one({"_id": user_id}, {OUTBOX: 0})
        return Account.model_validate(doc) if doc else None

    async def by_username(self, org_id: str, username: str) -> Account | None:
        doc = await self.col.find_one(
            {"org_id": org_id, "username_key": username_key(username)}, {OUTBOX: 0})
        return Account.model_validate(doc) if doc else None

    async def live_in_org(self, org_id: str, *, skip: int = 0, limit: int = 100,
                          query: str | None = None) -> list[Account]:
        """The org's accounts by username; `query`: those whose username, display name or
        e-mail contains it, in any case."""
        found: Doc = {"org_id": org_id, "deleted": False}
        if query:
            contains = {"$regex": re.escape(query), "$options": "i"}
            found["$or"] = [{"username_key": contains}, {"display_name": contains},
                            {"email": contains}]
        cursor = self.col.find(found, {OUTBOX: 0}) \
            .sort("username_key", ASCENDING).skip(skip).limit(limit)
        return [Account.model_validate(doc) async for doc in cursor]

    async def holders(self, role_id: str) -> list[Account]:
        cursor = self.col.find({"role_ids": role_id, "deleted": False}, {OUTBOX: 0})
        return [Account.model_validate(doc) async for doc in cursor]

    async def insert(self, change: AccountChange) -> None:
        """Store a new account with its events; `username_taken` if the name is in use."""
        account = change.account
        doc = {"_id": account.user_id, **account.stored_fields(),
               OUTBOX: entries_for(change.events, self.source)}
        try:
            await self.col.insert_one(doc)
        except OperationFailure as error:
            if not is_duplicate_key(error):
                raise
            if await self.col.find_one({"_id": account.user_id}, {"_id": 1}):
                raise AlreadyStored(account.user_id) from None
            raise username_taken(account.username) from None
        self.outbox.kick(ACCOUNTS, account.user_id)

    async def replace(self, old_version: int, change: AccountChange) -> bool:
        """Write `change` unless the account moved past `old_version` (then False)."""
        if not change.changed:
            return True
        account = change.account
        try:
            result = await self.col.update_one(
                {"_id": account.user_id, "version": old_version},
                {"$set": account.stored_fields(),
                 "$push": push_outbox(*entries_for(change.events, self.source))},
            )
        except OperationFailure as error:
            if is_duplicate_key(error):  # a rename onto a name someone else holds
                raise username_taken(account.username) from None
            raise
        if result.modified_count != 1:
            return False
        self.outbox.kick(ACCOUNTS, account.user_id)
        return True

    async def rehash(self, account: Account, new_password_hash: str) -> bool:
        """Store a rehashed password, guarded by the state it was computed from (False: the
        account changed meanwhile)."""
        result = await self.col.update_one(
            {"_id": account.user_id, "version": account.version,
             "password_hash": account.password_hash},
            {"$set": {"password_hash": new_password_hash}},
        )
        return result.modified_count == 1
