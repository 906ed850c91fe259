"""The write-behind snapshot of a processor's partitions in MongoDB: a few `_id`-keyed chunk
documents per partition and a checkpoint document per partition.

The checkpoint names the input offset the chunks cover and is written after them, so a crash
between the two leaves chunks newer than their checkpoint, never older; the entities' own
offsets make the replay from that older checkpoint harmless. Only `_id` lookups, whole-
document replaces and bulk slices under FerretDB v1's limit: no index, no atomic update.

A chunk's entities are one binary field (BSON, zlib level 1), not nested documents: FerretDB
(SQLite) reads a chunk of 1,000 device states in 17 ms as binary against 100-200 ms as nested
documents, and its cost grows with the bytes (compressed, ~5x fewer); decoding is then
PyMongo's and zlib's C code (docs/benchmarks.md, processor_startup)."""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from typing import Any

import bson
from bson.raw_bson import RawBSONDocument
from pymongo import ReplaceOne

from ssp_runtime.failpoints import failpoint
from ssp_runtime.mongo import BULK_LIMIT
from ssp_runtime.processor.partition_state import Entity, PartitionState


@dataclass(frozen=True)
class Capture:
    """What one flush writes: taken between batches (the state then equals what Kafka has
    committed), encoded at once so later folds cannot change it while it is written."""

    partition: int
    chunk_numbers: list[int]
    chunks: list[RawBSONDocument]
    checkpoint: int


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
                                             "entities": _pack(rows)}))
                for chunk, rows in dirty.items()]
        return Capture(state.partition, list(dirty), docs, state.position)

    async def write(self, capture: Capture) -> None:
        ops: list[ReplaceOne[Any]] = [ReplaceOne({"_id": doc["_id"]}, doc, upsert=True)
                                      for doc in capture.chunks]
        for start in range(0, len(ops), BULK_LIMIT):  # FerretDB v1 deadlocks at 100
            await self.collection.bulk_write(ops[start:start + BULK_LIMIT], ordered=False)
        failpoint("processor.after_flush", key=str(capture.partition))
        await self.collection.replace_one(
            {"_id": self.checkpoint_id(capture.partition)},
            {"offset": capture.checkpoint}, upsert=True)

    async def load(self, partition: int) -> tuple[PartitionState, int | None]:
        """The partition's entities and the checkpoint (None: never snapshotted)."""
        state = PartitionState(partition, self.chunks)
        ids = [self.chunk_id(partition, c) for c in range(self.chunks)]
        checkpoint = None
        async for doc in self.collection.find({"_id": {"$in": [*ids, self.checkpoint_id(
                partition)]}}):
            if doc["_id"] == self.checkpoint_id(partition):
                checkpoint = int(doc["offset"])
                continue
            for row in _unpack(doc["entities"]):
                state.load(row["k"], Entity(row["s"], int(row["o"])))
        return state, checkpoint


def _pack(rows: list[dict[str, Any]]) -> bytes:
    # Level 1: FerretDB's cost grows with the bytes it stores, and this is the cheapest zlib.
    return zlib.compress(bson.encode({"rows": rows}), 1)


def _unpack(packed: bytes) -> list[dict[str, Any]]:
    return bson.decode(zlib.decompress(packed))["rows"]  # type: ignore[no-any-return]
