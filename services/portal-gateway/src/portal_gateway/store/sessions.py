"""Browser sessions, stored under the sha256 of their secret id."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pymongo import ASCENDING
from ssp_runtime.mongo import Database

from portal_gateway.domain.sessions import SessionTimes, SweepCutoffs


@dataclass(frozen=True)
class StoredSession:
    session_hash: str
    user_id: str
    org_id: str
    username: str
    display_name: str | None
    locale: str
    permissions: tuple[str, ...]  # as of login; ssp.access overrides once projected
    csrf_token: str
    times: SessionTimes


def _stored(doc: dict[str, Any]) -> StoredSession:
    return StoredSession(
        session_hash=doc["_id"], user_id=doc["user_id"], org_id=doc["org_id"],
        username=doc["username"], display_name=doc.get("display_name"),
        locale=doc.get("locale", "en"), permissions=tuple(doc.get("permissions", ())),
        csrf_token=doc["csrf_token"],
        times=SessionTimes(doc["created_at"], doc["last_seen_at"], doc.get("reauthenticated_at")))


class SessionStore:
    def __init__(self, db: Database) -> None:
        self.coll = db["sessions"]

    async def create_indexes(self) -> None:
        await self.coll.create_index([("user_id", ASCENDING)])
        await self.coll.create_index([("last_seen_at", ASCENDING)])
        await self.coll.create_index([("created_at", ASCENDING)])

    async def create(self, session: StoredSession) -> None:
        await self.coll.insert_one({
            "_id": session.session_hash, "user_id": session.user_id, "org_id": session.org_id,
            "username": session.username, "display_name": session.display_name,
            "locale": session.locale, "permissions": list(session.permissions),
            "csrf_token": session.csrf_token, "created_at": session.times.created_at,
            "last_seen_at": session.times.last_seen_at,
            "reauthenticated_at": session.times.reauthenticated_at,
        })

    async def find(self, session_hash: str) -> StoredSession | None:
        doc = await self.coll.find_one({"_id": session_hash})
        return None if doc is None else _stored(doc)

    async def touch(self, session_hash: str, now: datetime) -> None:
        await self.coll.update_one({"_id": session_hash}, {"$set": {"last_seen_at": now}})

    async def rotate(self, old_hash: str, new_hash: str, *, now: datetime,
                     reauthenticated_at: datetime | None = None) -> bool:
        """Move the session to a new id (insert the copy first: never a moment without one)."""
        doc = await self.coll.find_one({"_id": old_hash})
        if doc is None:
            return False
        doc.update({"_id": new_hash, "last_seen_at": now})
        if reauthenticated_at is not None:
            doc["reauthenticated_at"] = reauthenticated_at
        await self.coll.insert_one(doc)
        await self.coll.delete_one({"_id": old_hash})
        return True

    async def delete(self, session_hash: str) -> None:
        await self.coll.delete_one({"_id": session_hash})

    async def revoke_user(self, user_id: str) -> int:
        return (await self.coll.delete_many({"user_id": user_id})).deleted_count

    async def sweep(self, cutoffs: SweepCutoffs) -> int:
        result = await self.coll.delete_many({"$or": [
            {"last_seen_at": {"$lt": cutoffs.idle_before}},
            {"created_at": {"$lt": cutoffs.created_before}},
        ]})
        return result.deleted_count
