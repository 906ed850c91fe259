"""The write-behind snapshot of a processor's partitions in MongoDB: a few `_id`-keyed chunk
documents per partition and a checkpoint document per partition.

The checkpoint names the input offset the chunks cover and is written after them, so a crash
between the two leaves chunks newer than their checkpoint, never older; the entities' own
offsets make the replay from that older checkpoint harmless. Only `_id` lookups, whole-
document replaces and bulk slices under FerretDB v1's limit: no index, no atomic update.

A chunk's entities are one binary field (BSON, zlib level 1), not nested documents: FerretDB
(SQLite) reads a chunk of 1,000 device states in 17 ms as binary against 100-200 ms as nested
documents, and its cost grows with the bytes (compressed, ~5x fewer). A loaded chunk stays
compressed until one of its entities is read (PartitionState.packed): a takeover costs the
bytes read (docs/benchmarks.md, processor_startup).

Writes are fenced. An owner claims the partition on taking it over: an epoch above any it
finds, written to the checkpoint document conditionally on the epoch it read (`claim`). Every
chunk and checkpoint carries its writer's epoch and is replaced only where the stored epoch is
not newer (`epoch $lte` in the filter; an upsert whose filter misses an existing `_id` fails
with a duplicate key). So a previous owner still running (paused, cut off) fails on the
checkpoint as soon as the partition is claimed and on any chunk the new owner has rewritten,
and stops owning the partition. A chunk it writes before the new owner rewrote it is harmless:
its entities changed after the loaded checkpoint, so the new owner replays them, which makes
that chunk dirty and rewritten. No atomic update is needed from the database: FerretDB v1
evaluates the filter and the write as two steps, so a stale write racing the new owner's
write of the same document within that one statement can still land (the fence then stops
the next one)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import bson
from bson.raw_bson import RawBSONDocument
from pymongo.errors import DuplicateKeyError, OperationFailure

from ssp_runtime.failpoints import failpoint
from ssp_runtime.mongo import BULK_LIMIT
from ssp_runtime.processor.partition_state import PartitionState, pack_rows


class Fenced(Exception):
    """A newer owner has claimed the partition's snapshot: this instance no longer owns the
    partition, whatever its consumer still believes."""

    def __init__(self, partition: int) -> None:
        super().__init__(f"partition {partition}: a newer owner claimed its snapshot")
        self.partition = partition


@dataclass(frozen=True)
class Capture:
    """What one flush writes: taken between batches (the state then equals what Kafka has
    committed), encoded at once so later folds cannot change it while it is written."""

    partition: int
    chunk_numbers: list[int]
    chunks: list[RawBSONDocument]
    checkpoint: int
    epoch: int


class SnapshotStore:
    def __init__(self, collection: Any, name: str, chunks: int) -> None:
        self.collection = collection
        self.name = name
        self.chunks = chunks

    def chunk_id(self, partition: int, chunk: int) -> str:
        return f"{self.name}/{partition}/{chunk}"

    def checkpoint_id(self, partition: int) -> str:
        return f"{self.name}/{partition}/checkpoint"

    def capture(self, state: PartitionState) -> Capture | None:
        if not state.dirty or state.position is None:
            return None
        dirty = state.take_dirty()
        docs = [RawBSONDocument(bson.encode({"_id": self.chunk_id(state.partition, chunk),
                                             "epoch": state.epoch, "entities": pack_rows(rows)}))
                for chunk, rows in dirty.items()]
        return Capture(state.partition, list(dirty), docs, state.position, state.epoch)

    async def write(self, capture: Capture) -> None:
        """The chunks, then the checkpoint; raises Fenced if a newer owner wrote either."""
        fence = {"$lte": capture.epoch}
        updates = [{"q": {"_id": doc["_id"], "epoch": fence}, "u": doc, "upsert": True}
                   for doc in capture.chunks]
        for start in range(0, len(updates), BULK_LIMIT):  # FerretDB v1 deadlocks at 100
            # The command, not bulk_write: PyMongo cannot read FerretDB's answer when it
            # carries write errors (no nModified).
            reply = await self.collection.database.command(
                {"update": self.collection.name, "ordered": False,
                 "updates": updates[start:start + BULK_LIMIT]})
            _raise_write_errors(reply, capture.partition)
        failpoint("processor.after_flush", key=str(capture.partition))
        try:
            await self.collection.replace_one(
                {"_id": self.checkpoint_id(capture.partition), "epoch": fence},
                {"epoch": capture.epoch, "offset": capture.checkpoint}, upsert=True)
        except DuplicateKeyError as exc:
            raise Fenced(capture.partition) from exc

    async def claim(self, partition: int, seen: int) -> int:
        """Make this owner the partition's newest and return its epoch: above `seen` (the
        newest epoch of the chunks it loaded) and the checkpoint's, written to the checkpoint
        only if its epoch is still the one read. Raises Fenced if another owner claimed it
        in between."""
        doc_id = self.checkpoint_id(partition)
        current = await self.collection.find_one({"_id": doc_id})
        epoch = max(seen, current.get("epoch", 0) if current else 0) + 1
        claimed: dict[str, Any] = {"epoch": epoch}
        if current is not None and current.get("offset") is not None:
            claimed["offset"] = current["offset"]
        try:
            if current is None:
                await self.collection.insert_one({"_id": doc_id, **claimed})
            elif (await self.collection.replace_one(
                    {"_id": doc_id, "epoch": current.get("epoch")}, claimed)).matched_count == 0:
                raise Fenced(partition)
        except DuplicateKeyError as exc:
            raise Fenced(partition) from exc
        return epoch

    async def load(self, partition: int) -> tuple[PartitionState, int | None]:
        """The partition's entities and the checkpoint (None: never snapshotted); the state's
        epoch is the newest found, for `claim` to go above."""
        state = PartitionState(partition, self.chunks)
        chunk_of_id = {self.chunk_id(partition, c): c for c in range(self.chunks)}
        checkpoint = None
        async for doc in self.collection.find({"_id": {"$in": [*chunk_of_id, self.checkpoint_id(
                partition)]}}):
            state.epoch = max(state.epoch, doc.get("epoch", 0))
            if doc["_id"] == self.checkpoint_id(partition):
                checkpoint = None if doc.get("offset") is None else int(doc["offset"])
                continue
            state.packed[chunk_of_id[doc["_id"]]] = doc["entities"]  # decoded when read
        return state, checkpoint


def _raise_write_errors(reply: dict[str, Any], partition: int) -> None:
    errors = reply.get("writeErrors") or []
    if any(error.get("code") == 11000 for error in errors):
        raise Fenced(partition)
    if errors:
        raise OperationFailure(errors[0].get("errmsg", "write error"), errors[0].get("code"),
                               reply)
