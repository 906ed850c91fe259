"""Enrollment reservations, one document per (org, kind, identifier).

The document id is derived from what it reserves, so an enrolling device finds its
reservations with a lookup by `_id` (the one query FerretDB does not answer by a scan), and a
second reservation of the same identifier collides instead of hiding behind the first.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from pymongo import ASCENDING
from pymongo.errors import DuplicateKeyError
from ssp_runtime.mongo import Database

from device_registry.domain.reservations import Reservation

RESERVATIONS = "reservations"
Doc = dict[str, Any]
_MODEL_FIELDS = frozenset(Reservation.model_fields)


def reservation_id(org_id: str, kind: str, value: str) -> str:
    digest = hashlib.sha256(f"{org_id}|{kind}|{value}".encode()).hexdigest()
    return f"res-{digest[:24]}"


def as_reservation(doc: Doc) -> Reservation:
    return Reservation.model_validate({k: v for k, v in doc.items() if k in _MODEL_FIELDS})


class ReservationStore:
    def __init__(self, db: Database) -> None:
        self.col = db[RESERVATIONS]

    async def create_indexes(self) -> None:
        await self.col.create_index([("org_id", ASCENDING)])

    async def create(self, reservation: Reservation, extra: Doc, now: datetime) -> Doc | None:
        """Stores it; returns the open reservation already there instead, if there is one
        (a used or expired one is replaced)."""
        doc = {"_id": reservation.reservation_id, **reservation.model_dump(mode="python"),
               **extra}
        try:
            await self.col.insert_one(doc)
            return None
        except DuplicateKeyError:
            existing = await self.col.find_one({"_id": reservation.reservation_id})
        if existing is not None and as_reservation(existing).is_open(now):
            return existing
        await self.col.replace_one({"_id": reservation.reservation_id}, doc, upsert=True)
        return None

    async def in_org(self, org_id: str) -> list[Doc]:
        # Scans on FerretDB: reservations are few, and used ones are replaced, not piled up.
        cursor = self.col.find({"org_id": org_id}).sort("created_at", ASCENDING)
        return [doc async for doc in cursor]

    async def get(self, org_id: str, res_id: str) -> Doc | None:
        doc = await self.col.find_one({"_id": res_id})
        return doc if doc is not None and doc.get("org_id") == org_id else None

    async def delete(self, res_id: str) -> None:
        await self.col.delete_one({"_id": res_id})

    async def naming(self, org_id: str, keys: dict[str, str]) -> list[Reservation]:
        """Reservations of `org_id` for any of the identifiers (kind -> normalised value)."""
        ids = [reservation_id(org_id, kind, value) for kind, value in keys.items()]
        if not ids:
            return []
        cursor = self.col.find({"_id": {"$in": ids}})
        return [as_reservation(doc) async for doc in cursor]

    async def consume(self, res_id: str, device_id: str, now: datetime) -> None:
        await self.col.update_one({"_id": res_id}, {"$set": {
            "consumed": True, "device_id": device_id, "consumed_at": now, "problem": None}})

    async def report_problem(self, res_id: str, device_id: str, problem: str) -> None:
        await self.col.update_one({"_id": res_id},
                                  {"$set": {"device_id": device_id, "problem": problem}})
