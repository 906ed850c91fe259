"""The registry's projection of accounts (from `ssp.access`): enough to resolve a username or an
e-mail address in a CSV row or a link request to a user id of the same organisation."""

from __future__ import annotations

from typing import Any

from pymongo import ASCENDING
from ssp_contracts.access import UserAccess
from ssp_runtime.mongo import Database, apply_if_newer

from device_registry.store.key_index import KeyIndex

USERS = "users"
USER_KEYS = "user_keys"
Doc = dict[str, Any]


class UserDirectory:
    def __init__(self, db: Database) -> None:
        self.col = db[USERS]
        self.keys = KeyIndex(db, USER_KEYS)

    async def create_indexes(self) -> None:
        await self.col.create_index([("org_id", ASCENDING), ("username_key", ASCENDING)])
        await self.col.create_index([("org_id", ASCENDING), ("email_key", ASCENDING)])

    async def apply(self, access: UserAccess) -> bool:
        active = access.enabled and not access.deleted
        fields = {
            "org_id": access.org_id, "username": access.username,
            "username_key": access.username.lower() if not access.deleted else None,
            "email_key": access.email.lower() if access.email and not access.deleted else None,
            "active": active,
        }
        applied = await apply_if_newer(self.col, access.user_id, access.version, fields)
        if applied and (keys := _keys(fields)):
            # Only for the newest version: a replayed old name must not take over an entry.
            # A crash right here leaves an entry missing until the start-up backfill.
            await self.keys.put(access.org_id, access.user_id, keys)
        return applied

    async def get(self, user_id: str) -> Doc | None:
        return await self.col.find_one({"_id": user_id})

    async def find(self, org_id: str, kind: str, values: list[str]) -> dict[str, Doc]:
        """Active users of `org_id` by `kind` (user_id, username or email), keyed by the value
        as looked up (usernames and e-mail addresses without regard to case)."""
        field = {"user_id": "_id", "username": "username_key", "email": "email_key"}[kind]
        wanted = sorted({v if kind == "user_id" else v.lower() for v in values})
        ids = wanted if kind == "user_id" else list(
            (await self.keys.lookup(org_id, field, wanted)).values())
        if not ids:
            return {}
        cursor = self.col.find({"_id": {"$in": sorted(set(ids))}})
        # An index entry may be stale (renamed, disabled, another org): the user decides.
        return {d[field]: d async for d in cursor
                if d.get("org_id") == org_id and d.get("active") and d.get(field) in wanted}

    async def all_keys(self) -> list[tuple[str, str, str, str]]:
        """(org, kind, value, user id) of every user: backfills the key index."""
        cursor = self.col.find({}, {"org_id": 1, "username_key": 1, "email_key": 1})
        return [(d["org_id"], kind, value, d["_id"]) async for d in cursor
                for kind, value in _keys(d).items()]


def _keys(fields: Doc) -> dict[str, str]:
    return {k: fields[k] for k in ("username_key", "email_key") if fields.get(k)}
