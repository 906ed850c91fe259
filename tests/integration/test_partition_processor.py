"""The partition processor against the real Kafka and database: a fold over many records gives
the exact state and outputs; a killed instance's partitions move to the other one with their
state; a crash between outputs and offsets, or between a snapshot and its checkpoint, leaves
no duplicate effect.

What is guaranteed: the state (and so every later output) counts each input record exactly
once in both modes. Under transactions a `read_committed` reader sees each output exactly
once; at-least-once may repeat outputs after a crash, each repeat identical (key, value and
`ssp-input` header), so a reader deduplicating by key and version sees each once."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry
from ssp_runtime.failpoints import EXIT_CODE
from ssp_runtime.processor import CommitMode, PartitionProcessor

from tests.integration.processor_world import (
    PARTITIONS,
    CounterInstance,
    Inputs,
    Outputs,
    snapshot_counts,
)
from tests.support.counter_processor import SNAPSHOTS, config, counting_fold
from tests.support.kafka import create_topics
from tests.support.waiting import eventually

KEYS = [f"device-{i:02d}" for i in range(30)]


@pytest.fixture
async def topics(bootstrap: str, run_id: str) -> tuple[str, str]:
    names = (f"t{run_id}.proc.in", f"t{run_id}.proc.out")
    await create_topics(bootstrap, list(names), PARTITIONS)
    return names


@pytest.fixture
def instances(stack_env: dict[str, str], topics: tuple[str, str], run_id: str,
              tmp_path: Path):  # type: ignore[no-untyped-def]
    started: list[CounterInstance] = []

    def make(mode: CommitMode = CommitMode.TRANSACTIONS) -> CounterInstance:
        instance = CounterInstance(
            args=[f"g{run_id}", *topics, f"t{run_id}_proc", mode.value], env=stack_env,
            log_path=tmp_path / f"processor-{len(started)}.log")
        started.append(instance)
        return instance

    yield make
    for instance in started:
        with contextlib.suppress(Exception):
            if instance.proc is not None and instance.proc.poll() is None:
                instance.proc.kill()
    for instance in started:  # pytest shows it only when the test failed
        print(f"----- {instance.log_path.name}\n{instance.tail()}")


@pytest.mark.parametrize("mode", list(CommitMode))
async def test_a_fold_over_many_records_gives_the_exact_state_and_outputs(
        bootstrap, mongo, run_id, topics, mode):
    in_topic, out_topic = topics
    collection = mongo[f"t{run_id}_proc"][SNAPSHOTS]
    registry = CollectorRegistry()
    async with running(bootstrap, run_id, topics, mode, collection, registry) as processor, \
            Inputs(bootstrap, in_topic) as inputs, Outputs(bootstrap, out_topic) as outs:
        await inputs.send(KEYS, 0, 600)
        await outs.wait_for(600)
        await outs.settle()
        assert outs.per_key() == inputs.expected()  # in order, none twice, none missing
        assert {k: processor.state_of(k)["n"] for k in KEYS} == {
            k: len(v) for k, v in inputs.sent.items()}
        assert len({tp.partition for tp in processor.owned}) == 6
        labels = {"processor": "counter"}
        assert registry.get_sample_value(
            "ssp_processor_records_committed_total", labels) == 600
        assert registry.get_sample_value("ssp_processor_owned_partitions", labels) == 6
        assert registry.get_sample_value("ssp_processor_batch_records_count", labels) >= 1
    assert await snapshot_counts(mongo, f"t{run_id}_proc") == {
        k: len(v) for k, v in inputs.sent.items()}
    checkpoints = [doc["offset"] async for doc in collection.find(
        {"_id": {"$in": [f"counter/{p}/checkpoint" for p in range(6)]}})]
    assert sum(checkpoints) == 600  # each partition's checkpoint covers all its records

    # The chunks stay, the checkpoints go (as if each was lost after its chunks): the next
    # owner replays all 600 records onto chunks that already hold them, and changes nothing.
    await collection.delete_many(
        {"_id": {"$in": [f"counter/{p}/checkpoint" for p in range(6)]}})
    registry = CollectorRegistry()
    async with running(bootstrap, run_id, topics, mode, collection, registry) as successor, \
            Outputs(bootstrap, out_topic) as outs:
        async def replayed() -> bool:
            return registry.get_sample_value(
                "ssp_processor_records_replayed_total", {"processor": "counter"}) == 600

        await eventually(replayed, timeout_s=30, what="600 records replayed")
        await outs.settle()
        assert len(outs.seen) == 600  # the replay produced nothing
        assert {k: successor.state_of(k)["n"] for k in KEYS} == {
            k: len(v) for k, v in inputs.sent.items()}


@contextlib.asynccontextmanager
async def running(bootstrap: str, run_id: str, topics: tuple[str, str], mode: CommitMode,
                  collection: object, registry: CollectorRegistry,
                  ) -> AsyncIterator[PartitionProcessor]:
    """An in-process counting processor, run until the block ends, then stopped (flushed)."""
    in_topic, out_topic = topics
    processor = PartitionProcessor(config(f"g{run_id}", in_topic, mode.value),
                                   counting_fold(out_topic), bootstrap=bootstrap,
                                   collection=collection, registry=registry)
    await processor.start()
    task = asyncio.create_task(processor.run())
    try:
        yield processor
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await processor.stop()


@pytest.mark.parametrize("mode", list(CommitMode))
async def test_a_killed_instance_s_partitions_move_with_their_state(
        bootstrap, mongo, run_id, topics, instances, mode):
    in_topic, out_topic = topics
    first, second = instances(mode).start(), instances(mode).start()
    async with Inputs(bootstrap, in_topic) as inputs, Outputs(bootstrap, out_topic) as outs:
        await first.wait_owning()
        await second.wait_owning()

        async def shared() -> bool:  # the second join takes partitions from the first
            return bool(first.owned()[-1]) and bool(second.owned()[-1])

        await eventually(shared, timeout_s=30, what="partitions shared")
        killed_partitions = first.owned()[-1]
        assert killed_partitions and len(killed_partitions) < 6

        await inputs.send(KEYS, 0, 300)
        await outs.wait_for(300)
        # Records keep coming while the owner dies mid-stream.
        sending = asyncio.create_task(_trickle(inputs, start=300, count=300))
        await asyncio.sleep(0.3)
        first.kill()
        await sending
        await outs.wait_for(600, timeout_s=90)
        await outs.settle(2.0)

        assert second.owned()[-1] == set(range(6))
        moved = [k for k in KEYS if inputs.partition_of[k] in killed_partitions]
        assert moved and all(len(inputs.sent[k]) > 10 for k in moved)
        # Counts continue across the move: the state came along (snapshot + replay).
        if mode is CommitMode.TRANSACTIONS:
            assert outs.per_key() == inputs.expected()
        else:  # the killed owner's last batch may be repeated, identically
            assert outs.duplicates_are_identical()
            assert outs.per_key(deduplicate=True) == inputs.expected()
        await second.stop()
    assert await snapshot_counts(mongo, f"t{run_id}_proc") == {
        k: len(v) for k, v in inputs.sent.items()}


async def _trickle(inputs: Inputs, start: int, count: int) -> None:
    for i in range(start, start + count, 10):
        await inputs.send(KEYS, i, 10)
        await asyncio.sleep(0.01)


class UnreadableSnapshots:
    """A database that refuses every read, as an unreachable one would."""

    def find(self, query: object) -> object:
        raise ConnectionError("database unreachable")


async def test_a_partition_that_cannot_be_loaded_stops_the_processor(bootstrap, run_id, topics):
    # aiokafka only logs a listener's exception: the partitions would be fetched and skipped
    # forever. The owner stops instead, and its successor recovers them.
    in_topic, out_topic = topics
    processor = PartitionProcessor(config(f"g{run_id}", in_topic, "at_least_once"),
                                   counting_fold(out_topic), bootstrap=bootstrap,
                                   collection=UnreadableSnapshots())
    await processor.start()
    try:
        with pytest.raises(ConnectionError, match="unreachable"):
            await asyncio.wait_for(processor.run(), 30)
        assert not processor.owned
    finally:
        await processor.stop()


@pytest.mark.parametrize("mode", list(CommitMode))
async def test_a_crash_between_outputs_and_offsets_has_no_duplicate_effect(
        bootstrap, mongo, run_id, topics, instances, mode):
    in_topic, out_topic = topics
    trigger = KEYS[7]
    async with Inputs(bootstrap, in_topic) as inputs, Outputs(bootstrap, out_topic) as outs:
        crashing = instances(mode).start(SSP_FAILPOINTS=f"processor.after_output@{trigger}")
        await crashing.wait_owning()
        await inputs.send([k for k in KEYS if k != trigger], 0, 290)
        await outs.wait_for(290)
        await inputs.send(KEYS, 290, 300)  # includes the trigger: outputs written, then exit
        assert await crashing.wait_exit() == EXIT_CODE

        restarted = instances(mode).start()
        await restarted.wait_owning()
        await inputs.send(KEYS, 590, 60)  # every key again: counts must go on from the truth
        await outs.wait_for(650, timeout_s=60)
        await outs.settle(2.0)
        if mode is CommitMode.TRANSACTIONS:  # the crashed transaction was aborted
            assert outs.per_key() == inputs.expected()
        else:  # repeated, identically: the reader's key+version deduplication hides them
            assert outs.duplicates_are_identical()
            assert outs.per_key(deduplicate=True) == inputs.expected()
        await restarted.stop()
    assert await snapshot_counts(mongo, f"t{run_id}_proc") == {
        k: len(v) for k, v in inputs.sent.items()}


async def test_a_crash_between_a_snapshot_and_its_checkpoint_has_no_duplicate_effect(
        bootstrap, mongo, run_id, topics, instances):
    in_topic, out_topic = topics
    async with Inputs(bootstrap, in_topic) as inputs, Outputs(bootstrap, out_topic) as outs:
        # Chunks of every partition written, no checkpoint: the restart replays from the
        # start onto chunks that already hold those records.
        crashing = instances().start(SSP_FAILPOINTS=",".join(
            f"processor.after_flush@{p}" for p in range(6)))
        await crashing.wait_owning()
        await inputs.send(KEYS, 0, 300)
        assert await crashing.wait_exit() == EXIT_CODE
        snapshotted = await snapshot_counts(mongo, f"t{run_id}_proc")
        assert snapshotted, "some chunks were written before the crash"

        restarted = instances().start()
        await outs.wait_for(300, timeout_s=60)
        await inputs.send(KEYS, 300, 300)  # every key again: counts must go on from the truth
        await outs.wait_for(600, timeout_s=60)
        await outs.settle(2.0)
        assert outs.per_key() == inputs.expected()
        await restarted.stop()
    assert await snapshot_counts(mongo, f"t{run_id}_proc") == {
        k: len(v) for k, v in inputs.sent.items()}


async def test_a_paused_owner_that_resumes_cannot_overwrite_its_successor_s_snapshot(
        bootstrap, mongo, run_id, topics, instances):
    in_topic, out_topic = topics
    truth = {}
    async with Inputs(bootstrap, in_topic) as inputs, Outputs(bootstrap, out_topic) as outs:
        # The zombie stops itself at its first snapshot write, holding an early capture.
        zombie = instances().start(SSP_TEST_STOP_IN_WRITE="1")
        await zombie.wait_owning()
        await inputs.send(KEYS, 0, 300)
        await zombie.wait_line("stopping in a snapshot write")

        successor = instances().start()  # takes every partition once the zombie's session ends

        async def owns_all() -> bool:
            return bool(successor.owned()) and successor.owned()[-1] == set(range(6))

        await eventually(owns_all, timeout_s=60, what="the successor owns every partition")
        await inputs.send(KEYS, 300, 300)
        await outs.wait_for(600, timeout_s=60)
        truth = {k: len(v) for k, v in inputs.sent.items()}

        async def snapshotted() -> bool:
            return await snapshot_counts(mongo, f"t{run_id}_proc") == truth

        await eventually(snapshotted, timeout_s=30, what="the successor's snapshot")

        zombie.proc.send_signal(signal.SIGCONT)  # writes its stale capture first thing
        assert await zombie.wait_line("resumed write") == "resumed write fenced"
        assert await snapshot_counts(mongo, f"t{run_id}_proc") == truth
        zombie.kill()
        await successor.stop()

        # The snapshot is the successor's: a new owner replays from it to the exact counts.
        restarted = instances().start()
        await restarted.wait_owning()
        await inputs.send(KEYS, 600, 60)
        await outs.wait_for(660, timeout_s=60)
        await outs.settle(2.0)
        assert outs.duplicates_are_identical()  # at-least-once: the zombie's, if any
        assert outs.per_key(deduplicate=True) == inputs.expected()
        await restarted.stop()
    assert await snapshot_counts(mongo, f"t{run_id}_proc") == {
        k: len(v) for k, v in inputs.sent.items()}
