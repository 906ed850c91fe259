"""Transactional outbox without transactions.

A store writes a state change and the events it implies in ONE update of the aggregate's
document (pending events in its `_outbox` array), so they cannot diverge. The relay publishes
pending events in order and removes each after the broker acknowledged it. A crash between
the two publishes that event again after restart with the same CloudEvents id (consumers are
idempotent); a crash before publishing loses nothing.

Handlers `kick()` the relay with the document they wrote, so events leave at once; a flush that
fails (broker away) is kicked again after a pause. A sweep at start-up picks up what a crashed
process left behind, and a rare periodic sweep is the safety net: on FerretDB the sweep is a
scan of the watched collections, so it must not run every second. Documents are claimed with a
short lease so two instances do not publish the same entries side by side (on MongoDB; where
the process serialises its own writes for FerretDB, one instance per service is assumed and the
relay reads and pops by `_id` alone, the only query FerretDB v1 does not answer by a scan).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
import zlib
from datetime import UTC, datetime, timedelta
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge
from pymongo.asynchronous.database import AsyncDatabase
from ssp_contracts import cloudevents
from ssp_contracts.base import Event

from ssp_runtime import tracing
from ssp_runtime.failpoints import failpoint
from ssp_runtime.kafka import EventPublisher
from ssp_runtime.mongo import SerializedDatabase, guarded_update

log = logging.getLogger(__name__)

OUTBOX = "_outbox"
RETRY_S = 1.0
LEASE = "_outbox_lease"


def outbox_entry(topic: str, event: Event, *, key: str | None = None,
                 source: str = "ssp") -> dict[str, Any]:
    """A pending event to `$push` into the aggregate's document in the same update."""
    # The trace this entry was written in: the relay publishes it later, outside that trace.
    headers = cloudevents.to_headers(event, source=source) | tracing.current_headers()
    return {"id": headers["ce_id"], "topic": topic, "key": key or event.subject(),
            "headers": headers, "value": cloudevents.to_value(event).decode(),
            "created_at": datetime.now(UTC)}


def tombstone_entry(topic: str, key: str) -> dict[str, Any]:
    """Deletes `key` from a compacted topic."""
    return {"id": str(uuid.uuid4()), "topic": topic, "key": key,
            "headers": tracing.current_headers(), "value": None,
            "created_at": datetime.now(UTC)}


def push_outbox(*entries: dict[str, Any]) -> dict[str, Any]:
    """The update operator that appends entries to a document's outbox."""
    return {OUTBOX: {"$each": list(entries)}}


class OutboxRelay:
    def __init__(self, db: AsyncDatabase[dict[str, Any]], publisher: EventPublisher,
                 registry: CollectorRegistry, *, poll_s: float = 1.0, workers: int = 4,
                 lease_s: float = 5.0, stale_s: float = 2.0) -> None:
        self.db = db
        self.publisher = publisher
        self.collections: set[str] = set()
        self.poll_s = poll_s
        self.lease = timedelta(seconds=lease_s)
        self.stale = timedelta(seconds=stale_s)
        self.owner = uuid.uuid4().hex
        self._queues: list[asyncio.Queue[tuple[str, Any]]] = [
            asyncio.Queue() for _ in range(workers)
        ]
        self._tasks: list[asyncio.Task[None]] = []
        self._waiting: set[tuple[str, Any]] = set()
        self.published = Counter("ssp_outbox_published", "Outbox events published",
                                 ["topic"], registry=registry)
        self.backlog = Gauge("ssp_outbox_backlog", "Documents with pending outbox events",
                             ["collection"], registry=registry)

    def watch(self, collection: str) -> None:
        self.collections.add(collection)

    def kick(self, collection: str, doc_id: Any) -> None:
        """Publish this document's pending events soon (same worker for the same document).
        A document already waiting in its queue is not queued twice."""
        key = (collection, doc_id)
        if key in self._waiting:
            return
        self._waiting.add(key)
        slot = zlib.crc32(repr(doc_id).encode()) % len(self._queues)
        self._queues[slot].put_nowait(key)

    async def start(self) -> None:
        self._tasks = [asyncio.create_task(self._worker(q)) for q in self._queues]
        await self.sweep(stale=timedelta(0))  # nothing of this process is in flight yet
        self._tasks.append(asyncio.create_task(self._sweep_forever()))

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []

    async def _worker(self, queue: asyncio.Queue[tuple[str, Any]]) -> None:
        while True:
            collection, doc_id = await queue.get()
            self._waiting.discard((collection, doc_id))  # kicks from now on queue it again
            try:
                await self.flush(collection, doc_id)
            except Exception as exc:
                # Try that document again shortly; the relay itself must keep running.
                log.warning("outbox publish failed; retrying", extra={
                    "collection": collection, "error": repr(exc)})
                asyncio.get_running_loop().call_later(RETRY_S, self.kick, collection, doc_id)

    async def _sweep_forever(self) -> None:
        while True:
            await asyncio.sleep(self.poll_s)
            try:
                await self.sweep()
            except Exception:
                log.exception("outbox sweep failed")

    async def sweep(self, stale: timedelta | None = None) -> int:
        """Queue every document whose oldest pending event is older than `stale_s`."""
        cutoff = datetime.now(UTC) - (self.stale if stale is None else stale)
        queued = 0
        for name in sorted(self.collections):
            cursor = self.db[name].find(
                {f"{OUTBOX}.0.created_at": {"$lt": cutoff}}, {"_id": 1}
            )
            count = 0
            async for doc in cursor:
                self.kick(name, doc["_id"])
                count += 1
            self.backlog.labels(name).set(count)
            queued += count
        return queued

    async def flush(self, collection: str, doc_id: Any) -> int:
        """Publish a document's pending events in order; returns how many were published."""
        single_writer = isinstance(self.db, SerializedDatabase)
        doc = await (self.db[collection].find_one({"_id": doc_id}) if single_writer
                     else self._claim(collection, doc_id))
        if not doc or not doc.get(OUTBOX):
            return 0
        sent = 0
        try:
            for entry in doc[OUTBOX]:
                failpoint("outbox.before_publish", entry["key"])
                value = entry["value"].encode() if entry["value"] is not None else None
                await self.publisher.publish_raw(entry["topic"], value, key=entry["key"],
                                                 headers=entry["headers"])
                failpoint("outbox.after_publish", entry["key"])
                # Remove exactly the entry just sent, even if others were appended meanwhile.
                await guarded_update(self.db, collection, doc_id, {f"{OUTBOX}.0.id": entry["id"]},
                                     {"$pop": {OUTBOX: -1}})
                self.published.labels(entry["topic"]).inc()
                sent += 1
        finally:
            if not single_writer:
                await self.db[collection].update_one(
                    {"_id": doc_id, f"{LEASE}.owner": self.owner}, {"$unset": {LEASE: ""}})
        # Entries appended while this ran are picked up by the next kick or sweep.
        return sent

    async def _claim(self, collection: str, doc_id: Any) -> dict[str, Any] | None:
        """Lease the document so other instances leave its outbox alone while this one works."""
        now = datetime.now(UTC)
        return await self.db[collection].find_one_and_update(  # type: ignore[no-any-return]
            {"_id": doc_id, f"{OUTBOX}.0": {"$exists": True},
             "$or": [{LEASE: {"$exists": False}}, {f"{LEASE}.until": {"$lt": now}},
                     {f"{LEASE}.owner": self.owner}]},
            {"$set": {LEASE: {"owner": self.owner, "until": now + self.lease}}},
        )  # no projection: FerretDB v1's findAndModify does not support one
