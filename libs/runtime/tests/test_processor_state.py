"""The pure rules of the partition processor's recovery: what a replayed record may change,
what it may produce, and what a snapshot captures."""

from __future__ import annotations

import zlib

import bson
from aiokafka import ConsumerRecord
from ssp_runtime.processor import Output
from ssp_runtime.processor.partition_state import (
    INPUT_HEADER,
    Entity,
    PartitionState,
    chunk_of,
)
from ssp_runtime.processor.snapshot import SnapshotStore


def record(key: str | None, offset: int, value: bytes = b"x") -> ConsumerRecord:
    return ConsumerRecord(topic="in", partition=2, offset=offset, timestamp=0,
                          timestamp_type=0, key=None if key is None else key.encode(),
                          value=value, checksum=None, serialized_key_size=0,
                          serialized_value_size=0, headers=())


def count(state, rec):
    n = (state or {"n": 0})["n"] + 1
    return {"n": n}, [Output("out", str(n).encode())]


def test_chunks_are_stable_and_spread():
    assert chunk_of("device-1", 64) == chunk_of("device-1", 64)
    assert chunk_of("device-1", 64) == 57  # crc32, not hash(): the same in every process
    assert len({chunk_of(f"device-{i}", 8) for i in range(100)}) == 8


def test_a_fold_produces_outputs_keyed_by_entity_with_their_origin():
    state = PartitionState(partition=2, chunks=4)
    outputs = state.apply(record("a", 10), count)
    assert outputs == [Output("out", b"1", "a", ((INPUT_HEADER, b"in/2/10"),))]
    assert state.entities["a"] == Entity({"n": 1}, 10)
    assert state.position == 11
    assert state.dirty == {chunk_of("a", 4)}


def test_a_record_already_in_the_entity_is_skipped():
    # The chunk was written after offset 10, its checkpoint was not: the replay from the
    # older checkpoint meets offsets 9 and 10 again.
    state = PartitionState(partition=2, chunks=4)
    state.load("a", Entity({"n": 5}, 10))
    assert state.apply(record("a", 9), count) == []
    assert state.apply(record("a", 10), count) == []
    assert state.entities["a"].state == {"n": 5}
    assert state.position == 11 and state.dirty == set()
    assert [o.value for o in state.apply(record("a", 11), count)] == [b"6"]


def test_the_replayed_range_folds_but_produces_nothing():
    state = PartitionState(partition=2, chunks=4, replay_until=3)
    assert state.apply(record("a", 1), count) == []
    assert state.apply(record("a", 2), count) == []
    assert [o.value for o in state.apply(record("a", 3), count)] == [b"3"]


def test_an_output_may_name_another_key():
    state = PartitionState(partition=0, chunks=1)
    [out] = state.apply(record("a", 0), lambda s, r: (s, [Output("t", b"v", key="user-7")]))
    assert out.key == "user-7"


def test_a_deleted_entity_keeps_its_offset():
    state = PartitionState(partition=0, chunks=1)
    state.apply(record("a", 0), count)
    state.apply(record("a", 1), lambda s, r: (None, []))
    assert state.entities["a"] == Entity(None, 1)
    assert state.apply(record("a", 1), count) == []  # replayed: still deleted
    assert state.apply(record(None, 2), count)[0].key == ""  # keyless records share ""


def test_a_capture_holds_the_dirty_chunks_as_they_were():
    store = SnapshotStore(collection=None, name="counter", chunks=4)
    state = PartitionState(partition=3, chunks=4)
    assert store.capture(state) is None
    state.apply(record("a", 0), count)
    capture = store.capture(state)
    assert capture is not None and capture.checkpoint == 1
    state.apply(record("a", 1), count)  # a later fold does not change what is being written
    [doc] = capture.chunks
    stored = bson.decode(doc.raw)
    assert stored["_id"] == f"counter/3/{chunk_of('a', 4)}"
    assert bson.decode(zlib.decompress(stored["entities"])) == {
        "rows": [{"k": "a", "o": 0, "s": {"n": 1}}]}
    assert capture.chunk_numbers == [chunk_of("a", 4)]


class FakeCollection:
    """Just enough of an async collection for the snapshot's writes and its load."""

    def __init__(self) -> None:
        self.docs: dict[str, dict] = {}
        self.bulk_sizes: list[int] = []

    async def bulk_write(self, ops, ordered):
        self.bulk_sizes.append(len(ops))
        for op in ops:
            doc = dict(bson.decode(op._doc.raw))
            self.docs[doc["_id"]] = doc

    async def replace_one(self, query, doc, upsert):
        self.docs[query["_id"]] = {"_id": query["_id"], **doc}

    def find(self, query):
        wanted = set(query["_id"]["$in"])

        async def docs():
            for doc_id, doc in list(self.docs.items()):
                if doc_id in wanted:
                    yield doc
        return docs()


async def test_a_snapshot_loads_back_with_its_checkpoint_in_small_bulk_slices():
    collection = FakeCollection()
    store = SnapshotStore(collection, name="counter", chunks=120)
    state = PartitionState(partition=1, chunks=120)
    for offset in range(1000):
        state.apply(record(f"d{offset % 300}", offset), count)
    await store.write(store.capture(state))
    assert max(collection.bulk_sizes) < 100  # FerretDB v1 deadlocks on 100
    loaded, checkpoint = await store.load(1)
    assert checkpoint == 1000
    assert {k: (e.state, e.offset) for k, e in loaded.entities.items()} == {
        k: (e.state, e.offset) for k, e in state.entities.items()}
    other, none = await store.load(2)
    assert other.entities == {} and none is None
