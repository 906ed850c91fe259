"""The account projection (from `ssp.access`): state and effective permissions per user."""

from __future__ import annotations

from typing import Any

from pymongo import ASCENDING
from ssp_contracts.access import UserAccess
from ssp_runtime.mongo import Database, apply_if_newer


def access_fields(access: UserAccess) -> dict[str, Any]:
    """The stored document of an account, besides `_id` and `version`."""
    return {**access.model_dump(mode="python"), "username_key": access.username.casefold()}


class AccessProjection:
    def __init__(self, db: Database) -> None:
        self.coll = db["access"]

    async def create_indexes(self) -> None:
        await self.coll.create_index([("org_id", ASCENDING), ("username_key", ASCENDING)])

    async def apply(self, access: UserAccess) -> bool:
        return await apply_if_newer(self.coll, access.user_id, access.version,
                                    access_fields(access))

    async def get(self, user_id: str) -> UserAccess | None:
        doc = await self.coll.find_one({"_id": user_id})
        return None if doc is None else _access(doc)

    async def by_username(self, org_id: str, username: str) -> UserAccess | None:
        doc = await self.coll.find_one({"org_id": org_id, "username_key": username.casefold(),
                                        "deleted": False})
        return None if doc is None else _access(doc)


def _access(doc: dict[str, Any]) -> UserAccess:
    fields = UserAccess.model_fields
    return UserAccess.model_validate({k: v for k, v in doc.items() if k in fields})
