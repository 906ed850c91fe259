"""The registry's projection of accounts (from `ssp.access`): enough to resolve a username or an
e-mail address in a CSV row or a link request to a user id of the same organisation."""

from __future__ import annotations

from typing import Any

from pymongo import ASCENDING
from ssp_contracts.access import UserAccess
from ssp_runtime.mongo import apply_if_newer

USERS = "users"
Doc = dict[str, Any]


class UserDirectory:
    def __init__(self, db: Any) -> None:
        self.col = db[USERS]

    async def create_indexes(self) -> None:
        await self.col.create_index([("org_id", ASCENDING), ("username_key", ASCENDING)])
        await self.col.create_index([("org_id", ASCENDING), ("email_key", ASCENDING)])

    async def apply(self, access: UserAccess) -> bool:
        active = access.enabled and not access.deleted
        return await apply_if_newer(self.col, access.user_id, access.version, {
            "org_id": access.org_id, "username": access.username,
            "username_key": access.username.lower() if not access.deleted else None,
            "email_key": access.email.lower() if access.email and not access.deleted else None,
            "active": active,
        })

    async def get(self, user_id: str) -> Doc | None:
        return await self.col.find_one({"_id": user_id})

    async def find(self, org_id: str, kind: str, values: list[str]) -> dict[str, Doc]:
        """Active users of `org_id` by `kind` (user_id, username or email), keyed by the value
        as looked up (usernames and e-mail addresses without regard to case)."""
        if kind == "user_id":
            cursor = self.col.find({"org_id": org_id, "_id": {"$in": values}, "active": True})
            return {d["_id"]: d async for d in cursor}
        field = "username_key" if kind == "username" else "email_key"
        lowered = sorted({v.lower() for v in values})
        cursor = self.col.find({"org_id": org_id, field: {"$in": lowered}, "active": True})
        return {d[field]: d async for d in cursor}
