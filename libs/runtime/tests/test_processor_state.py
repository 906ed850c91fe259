"""The pure rules of the partition processor's recovery: what a replayed record may change,
what it may produce, and what a snapshot captures."""

from __future__ import annotations

import zlib
from types import SimpleNamespace

import bson
import pytest
from aiokafka import ConsumerRecord
from pymongo.errors import DuplicateKeyError
from ssp_runtime.processor import Output
from ssp_runtime.processor.partition_state import (
    INPUT_HEADER,
    Entity,
    PartitionState,
    chunk_of,
)
from ssp_runtime.processor.snapshot import Fenced, SnapshotStore


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
        "rows": [{"k": "a", "o": 0, "b": bson.encode({"s": {"n": 1}})}]}
    assert capture.chunk_numbers == [chunk_of("a", 4)]


class FakeCollection:
    """Just enough of an async collection for the snapshot's writes and its load; it keeps
    the fence's rule (an `epoch $lte` filter) as a real one does."""

    name = "snapshots"

    def __init__(self) -> None:
        self.docs: dict[str, dict] = {}
        self.bulk_sizes: list[int] = []
        self.database = self

    async def command(self, command):
        self.bulk_sizes.append(len(command["updates"]))
        errors = []
        for index, update in enumerate(command["updates"]):
            if not self._replace(update["q"], dict(bson.decode(update["u"].raw))):
                errors.append({"index": index, "code": 11000})
        return {"ok": 1.0, "writeErrors": errors} if errors else {"ok": 1.0}

    def _replace(self, query, doc):
        stored = self.docs.get(query["_id"])
        if stored is not None and stored.get("epoch", 0) > query["epoch"]["$lte"]:
            return False
        self.docs[query["_id"]] = {**doc, "_id": query["_id"]}
        return True

    async def replace_one(self, query, doc, upsert=False):
        if isinstance(query["epoch"], dict):
            if not self._replace(query, doc):
                raise DuplicateKeyError("fenced", 11000)
            return None
        stored = self.docs[query["_id"]]
        matched = stored.get("epoch") == query["epoch"]
        if matched:
            self.docs[query["_id"]] = {**doc, "_id": query["_id"]}
        return SimpleNamespace(matched_count=int(matched))

    async def insert_one(self, doc):
        self.docs[doc["_id"]] = doc

    async def find_one(self, query):
        return self.docs.get(query["_id"])

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
    assert {k: (e.state, e.offset) for k, e in loaded.all_entities().items()} == {
        k: (e.state, e.offset) for k, e in state.entities.items()}
    other, none = await store.load(2)
    assert other.all_entities() == {} and none is None


async def test_a_loaded_chunk_is_decoded_when_one_of_its_entities_is_first_read():
    collection = FakeCollection()
    store = SnapshotStore(collection, name="counter", chunks=4)
    state = PartitionState(partition=1, chunks=4)
    keys = [f"d{i}" for i in range(40)]
    for offset, key in enumerate(keys):
        state.apply(record(key, offset), count)
    await store.write(store.capture(state))

    loaded, _ = await store.load(1)
    assert loaded.entities == {} and set(loaded.packed) == {0, 1, 2, 3}
    # Within a decoded chunk a state stays BSON until read, and a capture writes it back as is.
    untouched = next(k for k in keys if chunk_of(k, 4) == chunk_of("d7", 4) and k != "d7")
    assert loaded.entity("d7") == Entity({"n": 1}, 7)
    assert set(loaded.packed) == {0, 1, 2, 3} - {chunk_of("d7", 4)}
    assert set(loaded.entities) == {k for k in keys if chunk_of(k, 4) == chunk_of("d7", 4)}
    assert not loaded.entities[untouched]._decoded
    assert loaded.entities[untouched].encoded() == bson.encode({"s": {"n": 1}})
    # A fold of an entity never seen decodes its chunk too: the chunk is rewritten whole.
    loaded.position = 40
    loaded.apply(record("new", 40), count)
    rows = loaded.take_dirty()[chunk_of("new", 4)]
    assert {row["k"] for row in rows} == {"new"} | {
        k for k in keys if chunk_of(k, 4) == chunk_of("new", 4)}
    # A fold replaces the state and with it the BSON the next capture writes.
    known = next(k for k in keys if chunk_of(k, 4) == chunk_of("new", 4))
    loaded.entity(known).encoded()
    loaded.apply(record(known, 41), count)
    [row] = [r for r in loaded.take_dirty()[chunk_of(known, 4)] if r["k"] == known]
    assert bson.decode(row["b"]) == {"s": {"n": 2}}


async def test_a_previous_owner_s_writes_are_fenced_once_a_newer_owner_claimed():
    collection = FakeCollection()
    store = SnapshotStore(collection, name="counter", chunks=4)
    old = PartitionState(partition=1, chunks=4)
    old.epoch = await store.claim(1, old.epoch)
    old.apply(record("a", 0), count)
    await store.write(store.capture(old))

    new, checkpoint = await store.load(1)
    new.epoch = await store.claim(1, new.epoch)
    assert (old.epoch, new.epoch, checkpoint) == (1, 2, 1)
    assert (await collection.find_one({"_id": "counter/1/checkpoint"}))["offset"] == 1

    old.apply(record("a", 1), count)  # the paused owner resumes: its checkpoint is refused
    with pytest.raises(Fenced):
        await store.write(store.capture(old))
    new.position = 2
    new.apply(record("a", 1), count)
    await store.write(store.capture(new))
    old.apply(record("a", 2), count)  # and so is a chunk the new owner wrote
    with pytest.raises(Fenced):
        await store.write(store.capture(old))
    loaded, checkpoint = await store.load(1)
    assert (loaded.entity("a"), checkpoint, loaded.epoch) == (Entity({"n": 2}, 1), 2, 2)
