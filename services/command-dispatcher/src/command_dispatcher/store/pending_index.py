"""Which commands of a device may still be pending: one document per device, `_id` = the
device id, listing command ids.

Every check-in and every new command asks for a device's pending commands. Asked of the
commands collection by `device_id` and `status`, FerretDB reads every command ever stored;
a read by `_id` uses its index on every MongoDB-wire server. The list is a hint, never the
truth: an id is added before its command is stored and removed after the command ended, so
readers load the commands it names and keep those still pending (a crash in between leaves
an id too many, never one too few).
"""

from __future__ import annotations

from typing import Any

PENDING_BY_DEVICE = "pending_by_device"
Doc = dict[str, Any]


class PendingIndex:
    def __init__(self, db: Any) -> None:
        self.col = db[PENDING_BY_DEVICE]

    async def add(self, device_id: str, command_id: str) -> None:
        await self.col.update_one({"_id": device_id}, {"$addToSet": {"ids": command_id}},
                                  upsert=True)

    async def remove(self, device_id: str, command_ids: list[str]) -> None:
        # $pullAll, not $pull: FerretDB v1 has only the former.
        await self.col.update_one({"_id": device_id}, {"$pullAll": {"ids": command_ids}})

    async def ids(self, device_id: str) -> list[str]:
        doc = await self.col.find_one({"_id": device_id})
        return list((doc or {}).get("ids") or [])
