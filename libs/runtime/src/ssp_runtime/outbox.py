"""Transactional outbox without transactions.

A store writes a state change and the events it implies in ONE update of the aggregate's
document (pending events in its `_outbox` array), so they cannot diverge. The relay publishes
pending events in order and removes them once the broker acknowledged them; it works on batches
of documents (up to 200 queued kicks), with every record of a batch in flight at once. A crash
between the two publishes that event again after restart with the same CloudEvents id
(consumers are idempotent); a crash before publishing loses nothing.

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
from pymongo import UpdateOne
from ssp_contracts import cloudevents
from ssp_contracts.base import Event

from ssp_runtime import tracing
from ssp_runtime.failpoints import failpoint
from ssp_runtime.kafka import EventPublisher
from ssp_runtime.mongo import Database
from ssp_runtime.signing import Signer

log = logging.getLogger(__name__)

OUTBOX = "_outbox"
RETRY_S = 1.0
LEASE = "_outbox_lease"


def outbox_entry(topic: str, event: Event, *, key: str | None = None, source: str = "ssp",
                 signer: Signer | None = None) -> dict[str, Any]:
    """A pending event to `$push` into the aggregate's document in the same update; `signer`
    signs the value written here, which the relay publishes byte for byte."""
    # The trace this entry was written in: the relay publishes it later, outside that trace.
    headers = cloudevents.to_headers(event, source=source) | tracing.current_headers()
    value = cloudevents.to_value(event)
    if signer is not None:
        headers |= signer.headers(event.event_type, value)
    return {"id": headers["ce_id"], "topic": topic, "key": key or event.subject(),
            "headers": headers, "value": value.decode(), "created_at": datetime.now(UTC)}


def tombstone_entry(topic: str, key: str) -> dict[str, Any]:
    """Deletes `key` from a compacted topic."""
    return {"id": str(uuid.uuid4()), "topic": topic, "key": key,
            "headers": tracing.current_headers(), "value": None,
            "created_at": datetime.now(UTC)}


def push_outbox(*entries: dict[str, Any]) -> dict[str, Any]:
    """The update operator that appends entries to a document's outbox."""
    return {OUTBOX: {"$each": list(entries)}}


class OutboxRelay:
    def __init__(self, db: Database, publisher: EventPublisher,
                 registry: CollectorRegistry, *, poll_s: float = 1.0, workers: int = 4,
                 lease_s: float = 5.0, stale_s: float = 2.0, batch: int = 200) -> None:
        self.db = db
        self.publisher = publisher
        self.collections: set[str] = set()
        self.poll_s = poll_s
        self.batch = batch
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
            batch = [await queue.get()]
            while len(batch) < self.batch and not queue.empty():
                batch.append(queue.get_nowait())
            self._waiting.difference_update(batch)  # kicks from now on queue them again
            by_collection: dict[str, list[Any]] = {}
            for collection, doc_id in batch:
                by_collection.setdefault(collection, []).append(doc_id)
            for collection, doc_ids in by_collection.items():
                try:
                    await self.flush_many(collection, doc_ids)
                except Exception as exc:
                    # Try those documents again shortly; the relay itself must keep running.
                    log.warning("outbox publish failed; retrying", extra={
                        "collection": collection, "documents": len(doc_ids),
                        "error": repr(exc)})
                    for doc_id in doc_ids:
                        asyncio.get_running_loop().call_later(
                            RETRY_S, self.kick, collection, doc_id)

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
        return await self.flush_many(collection, [doc_id])

    async def flush_many(self, collection: str, doc_ids: list[Any]) -> int:
        """Publish the pending events of several documents of one collection: every record is
        handed to the producer first and the acknowledgements awaited together (one document's
        events stay in order: same key, same partition, idempotent producer), then each
        document loses the leading entries the broker acknowledged, in one update. Raises
        after removing what was sent when any record failed, so the caller retries the rest."""
        single_writer = self.db.single_writer
        ids = list(dict.fromkeys(doc_ids))
        if single_writer:
            docs = [d async for d in self.db[collection].find({"_id": {"$in": ids}})]
        else:
            claimed = await asyncio.gather(*(self._claim(collection, i) for i in ids))
            docs = [d for d in claimed if d]
        docs = [d for d in docs if d.get(OUTBOX)]
        try:
            acked = await self._publish(docs)
            if any(acked.values()):
                await self._remove(collection, acked)
        finally:
            if not single_writer and docs:
                await self.db[collection].bulk_write(
                    [UpdateOne({"_id": d["_id"], f"{LEASE}.owner": self.owner},
                               {"$unset": {LEASE: ""}}) for d in docs], ordered=False)
        sent = sum(len(entries) for entries in acked.values())
        if sent < sum(len(d[OUTBOX]) for d in docs):
            raise RuntimeError(f"{collection}: {sent} outbox events published, the rest later")
        # Entries appended while this ran are picked up by the next kick or sweep.
        return sent

    async def _publish(self, docs: list[dict[str, Any]]) -> dict[Any, list[str]]:
        """doc id -> ids of its leading entries the broker acknowledged."""
        pending: list[tuple[Any, dict[str, Any], asyncio.Future[Any]]] = []
        for doc in docs:
            for entry in doc[OUTBOX]:
                failpoint("outbox.before_publish", entry["key"])
                value = entry["value"].encode() if entry["value"] is not None else None
                delivery = await self.publisher.send_raw(
                    entry["topic"], value, key=entry["key"], headers=entry["headers"])
                pending.append((doc["_id"], entry, delivery))
        outcomes = await asyncio.gather(*(d for _, _, d in pending), return_exceptions=True)
        acked: dict[Any, list[str]] = {doc["_id"]: [] for doc in docs}
        broken: set[Any] = set()
        for (doc_id, entry, _), outcome in zip(pending, outcomes, strict=True):
            if isinstance(outcome, BaseException) or doc_id in broken:
                broken.add(doc_id)  # keep order: nothing after a failed entry is removed
                continue
            failpoint("outbox.after_publish", entry["key"])
            acked[doc_id].append(entry["id"])
            self.published.labels(entry["topic"]).inc()
        return acked

    async def _remove(self, collection: str, acked: dict[Any, list[str]]) -> None:
        """Drop the acknowledged entries, keeping any appended since they were read."""
        await self.db.drop_leading(collection, OUTBOX, acked)

    async def _claim(self, collection: str, doc_id: Any) -> dict[str, Any] | None:
        """Lease the document so other instances leave its outbox alone while this one works."""
        now = datetime.now(UTC)
        return await self.db[collection].find_one_and_update(
            {"_id": doc_id, f"{OUTBOX}.0": {"$exists": True},
             "$or": [{LEASE: {"$exists": False}}, {f"{LEASE}.until": {"$lt": now}},
                     {f"{LEASE}.owner": self.owner}]},
            {"$set": {LEASE: {"owner": self.owner, "until": now + self.lease}}},
        )  # no projection: FerretDB v1's findAndModify does not support one
