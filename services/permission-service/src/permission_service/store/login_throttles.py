"""Login throttles, one document per (account, client address): `_id` = "<user id>|<key>".

Apart from the account: a guess from one address must never slow down the account's owner at
another (domain/throttle.py), and the bookkeeping is no change of the account. Each write is a
compare-and-set on the failure count it was computed from, so concurrent failures all count.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pymongo import ASCENDING
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import OperationFailure

from permission_service.domain.throttle import ThrottleState
from permission_service.store.duplicates import is_duplicate_key

LOGIN_THROTTLES = "login_throttles"
Doc = dict[str, Any]


def _aware(value: datetime | None) -> datetime | None:
    # MongoDB returns naive UTC datetimes unless the client is tz-aware.
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


class LoginThrottleStore:
    def __init__(self, db: AsyncDatabase[Doc]) -> None:
        self.col = db[LOGIN_THROTTLES]

    async def create_indexes(self) -> None:
        await self.col.create_index([("user_id", ASCENDING)], name="throttles_of_user")

    async def get(self, user_id: str, client_key: str) -> ThrottleState:
        doc = await self.col.find_one({"_id": f"{user_id}|{client_key}"})
        if doc is None:
            return ThrottleState()
        return ThrottleState(int(doc["failed_logins"]), _aware(doc.get("throttled_until")))

    async def save(self, user_id: str, client_key: str, before: ThrottleState,
                   after: ThrottleState, now: datetime) -> bool:
        """Store `after` if the pair is still at `before` (False: decide again). A reset
        removes the document: a successful login leaves nothing behind."""
        key = f"{user_id}|{client_key}"
        if after == ThrottleState():
            await self.col.delete_one({"_id": key})
            return True
        fields = {"user_id": user_id, "failed_logins": after.failed_logins,
                  "throttled_until": after.throttled_until, "updated_at": now}
        if before.failed_logins == 0:  # no document yet: the insert itself is the guard
            try:
                await self.col.insert_one({"_id": key, **fields})
            except OperationFailure as error:
                if is_duplicate_key(error):
                    return False
                raise
            return True
        result = await self.col.update_one(
            {"_id": key, "failed_logins": before.failed_logins}, {"$set": fields})
        return result.modified_count == 1

    async def clear_user(self, user_id: str) -> None:
        """A new password (or a deleted account) lifts every throttle of the account."""
        await self.col.delete_many({"user_id": user_id})
