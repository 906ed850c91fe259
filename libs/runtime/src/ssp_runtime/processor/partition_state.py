"""The in-memory state of one owned input partition: entities, what is dirty, and where the
replay ends. Pure: no I/O, so recovery rules are unit-tested without a broker."""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from typing import Any

import bson
from aiokafka import ConsumerRecord

from ssp_runtime.processor.model import Fold, Output

INPUT_HEADER = "ssp-input"


class Entity:
    """An entity's state (None: deleted, kept so that a replay cannot fold its records again)
    and the input offset last folded into it.

    A loaded entity keeps its state as the snapshot's BSON until the state is read, and its
    BSON is kept (or made once) until the state is replaced: a capture re-encodes only the
    entities folded since the last one, and decoding a chunk costs about its zlib, so a big
    partition's untouched entities are neither decoded nor re-encoded (docs/benchmarks.md,
    processor_startup). The state is replaced only through `state =` (a fold's answer);
    whoever reads it must not change it in place."""

    __slots__ = ("_decoded", "_encoded", "_state", "offset")

    def __init__(self, state: Any, offset: int, encoded: bytes | None = None) -> None:
        self._state = state
        self._encoded = encoded  # BSON of {"s": state}
        self._decoded = encoded is None
        self.offset = offset

    @property
    def state(self) -> Any:
        if not self._decoded and self._encoded is not None:
            self._state = bson.decode(self._encoded)["s"]
            self._decoded = True
        return self._state

    @state.setter
    def state(self, value: Any) -> None:
        self._state, self._encoded, self._decoded = value, None, True

    def encoded(self) -> bytes:
        if self._encoded is None:
            self._encoded = bson.encode({"s": self._state})
        return self._encoded

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Entity) and (self.state, self.offset) == (
            other.state, other.offset)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Entity({self.state!r}, {self.offset!r})"


def chunk_of(entity_id: str, chunks: int) -> int:
    """Stable across processes and Python versions (unlike hash())."""
    return zlib.crc32(entity_id.encode()) % chunks


def pack_rows(rows: list[dict[str, Any]]) -> bytes:
    """A chunk's entities as stored: rows of id `k`, offset `o` and the state's own BSON `b`
    (Entity), all BSON, zlib level 1 (FerretDB's cost grows with the bytes it stores, and
    this is the cheapest zlib)."""
    return zlib.compress(bson.encode({"rows": rows}), 1)


def unpack_rows(packed: bytes) -> list[dict[str, Any]]:
    return bson.decode(zlib.decompress(packed))["rows"]  # type: ignore[no-any-return]


def entity_id_of(record: ConsumerRecord) -> str:
    return record.key.decode() if record.key is not None else ""


@dataclass
class PartitionState:
    partition: int
    chunks: int
    # Records below this offset had their outputs committed by an earlier owner: they are
    # folded again (from the snapshot's checkpoint) but produce nothing.
    replay_until: int = 0
    # The next input offset to fold; the offsets a snapshot taken now would cover.
    position: int | None = None
    # This owner's claim on the partition's snapshot (snapshot.py): its writes land only on
    # documents no newer owner has written.
    epoch: int = 0
    # The entities decoded so far; `entity()` and `all_entities()` decode what they need.
    entities: dict[str, Entity] = field(default_factory=dict)
    members: dict[int, set[str]] = field(default_factory=dict)
    dirty: set[int] = field(default_factory=set)
    # Chunks as the snapshot holds them (pack_rows), decoded when one of their entities is
    # first read: taking a partition over then costs the bytes read, not a Python object per
    # entity (decoding was ~90% of loading 1,000,000 devices; docs/benchmarks.md).
    packed: dict[int, bytes] = field(default_factory=dict)

    def load(self, entity_id: str, entity: Entity) -> None:
        self.entities[entity_id] = entity
        self.members.setdefault(chunk_of(entity_id, self.chunks), set()).add(entity_id)

    def entity(self, entity_id: str) -> Entity | None:
        if self.packed:
            chunk = chunk_of(entity_id, self.chunks)
            if chunk in self.packed:
                self._unpack(chunk)
        return self.entities.get(entity_id)

    def all_entities(self) -> dict[str, Entity]:
        for chunk in list(self.packed):
            self._unpack(chunk)
        return self.entities

    def _unpack(self, chunk: int) -> None:
        members = self.members.setdefault(chunk, set())
        for row in unpack_rows(self.packed.pop(chunk)):
            self.entities[row["k"]] = Entity(None, row["o"], row["b"])
            members.add(row["k"])

    def apply(self, record: ConsumerRecord, fold: Fold) -> list[Output]:
        """Fold one record and return the outputs to produce now.

        A record at or below the entity's own offset is already in its state (the snapshot
        was written after it; its checkpoint was not): skipping it makes any fold idempotent
        over a replay, whatever the fold does."""
        self.position = record.offset + 1
        entity_id = entity_id_of(record)
        entity = self.entity(entity_id)
        if entity is not None and record.offset <= entity.offset:
            return []
        state, outputs = fold(entity.state if entity is not None else None, record)
        if entity is None:
            self.load(entity_id, Entity(state, record.offset))
        else:
            entity.state, entity.offset = state, record.offset
        self.dirty.add(chunk_of(entity_id, self.chunks))
        if record.offset < self.replay_until:
            return []
        origin = f"{record.topic}/{record.partition}/{record.offset}".encode()
        return [Output(o.topic, o.value, entity_id if o.key is None else o.key,
                       (*o.headers, (INPUT_HEADER, origin))) for o in outputs]

    def take_dirty(self) -> dict[int, list[dict[str, Any]]]:
        """The dirty chunks' entities as snapshot rows; the chunks are clean afterwards. A
        dirty chunk is decoded: it became dirty by a fold of one of its entities."""
        rows = {chunk: [{"k": k, "o": self.entities[k].offset, "b": self.entities[k].encoded()}
                        for k in sorted(self.members.get(chunk, ()))]
                for chunk in sorted(self.dirty)}
        self.dirty.clear()
        return rows
