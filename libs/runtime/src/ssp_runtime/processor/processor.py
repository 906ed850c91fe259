"""A partition-owned stream processor: one consumer group over one input topic; the instance
that is assigned a partition owns the state of its entities in memory, folds batches into it,
produces the outputs and commits the input offsets once per batch, and writes its state
behind to MongoDB. See docs/architecture.md, "Partition-owned processors"."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener, ConsumerRecord, TopicPartition
from prometheus_client import CollectorRegistry

from ssp_runtime.failpoints import failpoint
from ssp_runtime.kafka import METADATA_MAX_AGE_MS
from ssp_runtime.kafka_auth import KafkaOptions, with_defaults
from ssp_runtime.processor.committers import (
    AtLeastOnceCommitter,
    Committer,
    TransactionalCommitter,
)
from ssp_runtime.processor.metrics import ProcessorMetrics
from ssp_runtime.processor.model import CommitMode, Fold, Output, ProcessorConfig
from ssp_runtime.processor.partition_state import PartitionState
from ssp_runtime.processor.snapshot import Capture, Fenced, SnapshotStore

log = logging.getLogger(__name__)


class PartitionProcessor:
    def __init__(self, config: ProcessorConfig, fold: Fold, *, bootstrap: str,
                 collection: Any, registry: CollectorRegistry | None = None,
                 options: KafkaOptions | None = None) -> None:
        self.config = config
        self.options = with_defaults(options)  # credentials (kafka_auth); env's by default
        self.metrics = ProcessorMetrics(registry)
        self.fold = fold
        self.bootstrap = bootstrap
        self.snapshots = SnapshotStore(collection, config.name, config.chunks_per_partition)
        self.owned: dict[TopicPartition, PartitionState] = {}
        # Revoked partitions kept in memory: if they come back and nobody committed anything
        # in between (the usual eager rebalance), no snapshot needs loading.
        self._standby: dict[TopicPartition, PartitionState] = {}
        # A batch, a snapshot capture and a rebalance never interleave: a capture then always
        # sees state that equals what Kafka has committed.
        self._batch_lock = asyncio.Lock()
        # One flush at a time; a revocation waits for it, so no late write of this instance
        # lands after the next owner's.
        self._flush_lock = asyncio.Lock()
        self._epoch = 0  # bumped on each assignment: a batch fetched before it is stale
        self._broken = False  # a batch failed half-way: memory is ahead of Kafka
        # aiokafka logs a listener's exception and goes on: the partition would then be
        # fetched but never processed. run() raises it instead.
        self._rebalance_error: BaseException | None = None
        self.consumer: AIOKafkaConsumer | None = None
        self.committer: Committer | None = None
        self._flusher: asyncio.Task[None] | None = None
        self.assigned = asyncio.Event()
        self.records_committed = 0  # input records whose batch is committed, this instance

    # -- life cycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        c = self.config
        self.consumer = AIOKafkaConsumer(
            bootstrap_servers=self.bootstrap, group_id=c.group_id,
            client_id=c.client_id or c.group_id, enable_auto_commit=False,
            auto_offset_reset="earliest", isolation_level="read_committed",
            session_timeout_ms=c.session_timeout_ms,
            heartbeat_interval_ms=c.heartbeat_interval_ms,
            metadata_max_age_ms=METADATA_MAX_AGE_MS, **self.options)
        self.committer = (TransactionalCommitter(c, self.bootstrap, self.options)
                          if c.commit is CommitMode.TRANSACTIONS
                          else AtLeastOnceCommitter(c, self.bootstrap, self.consumer,
                                                    self.options))
        await self.committer.start()
        self.consumer.subscribe([c.input_topic], listener=_Listener(self))
        await self.consumer.start()
        self._flusher = asyncio.create_task(self._flush_forever())

    async def run(self) -> None:
        """Process until cancelled or until a batch fails (then raise: the owner restarts,
        and its successor recovers from the snapshot and the log)."""
        consumer = self._running()
        while True:
            if self._rebalance_error is not None:
                raise self._rebalance_error
            epoch = self._epoch
            batches = await consumer.getmany(timeout_ms=self.config.max_wait_ms,
                                             max_records=self.config.max_records)
            if not batches:
                continue
            async with self._batch_lock:
                if epoch != self._epoch:  # fetched across a rebalance: maybe from a position
                    self._rewind(batches)  # the assignment then moved; fetch again from ours
                    continue
                try:
                    await self._process(batches)
                except BaseException:
                    self._broken = True
                    raise

    def _rewind(self, batches: dict[TopicPartition, list[ConsumerRecord]]) -> None:
        consumer = self._running()
        for tp in batches:
            state = self.owned.get(tp)
            if state is not None and state.position is not None:
                consumer.seek(tp, state.position)

    async def stop(self) -> None:
        """Flush what is consistent, then leave the group. Cancel run() first: a batch it
        was folding then marks the memory as ahead of Kafka, and nothing is flushed."""
        if self._flusher is not None:
            self._flusher.cancel()
            await asyncio.gather(self._flusher, return_exceptions=True)
        if not self._broken:
            await self.flush()
        if self.committer is not None:
            await self.committer.stop()
        if self.consumer is not None:
            await self.consumer.stop()

    # -- batches ------------------------------------------------------------------------------

    async def _process(self, batches: dict[TopicPartition, list[ConsumerRecord]]) -> None:
        committer = self._committer()
        outputs: dict[TopicPartition, list[Output]] = {}
        for tp, records in batches.items():
            state = self.owned.get(tp)
            if state is None:
                continue  # revoked since it was fetched
            self.metrics.replayed.labels(self.config.name).inc(
                sum(1 for r in records if r.offset < state.replay_until))
            produced = [out for record in records for out in state.apply(record, self.fold)]
            # A batch wholly inside the replayed range commits nothing: the committed offset
            # is already past it and must not move back.
            if state.position is not None and state.position >= state.replay_until:
                outputs[tp] = produced
        if not outputs:
            return
        await asyncio.gather(*(self._produce(committer, tp, outs) for tp, outs in outputs.items()))
        offsets = {tp: position for tp in outputs
                   if (position := self.owned[tp].position) is not None}
        await committer.commit(offsets)
        committed = sum(len(batches[tp]) for tp in outputs)
        self.records_committed += committed
        self.metrics.committed.labels(self.config.name).inc(committed)
        self.metrics.batch.labels(self.config.name).observe(committed)

    @staticmethod
    async def _produce(committer: Committer, tp: TopicPartition, outputs: list[Output]) -> None:
        await committer.produce(tp, outputs)
        for output in outputs:  # the crash a test needs: outputs written, offsets not
            failpoint("processor.after_output", key=output.key)

    # -- rebalance ----------------------------------------------------------------------------

    async def on_assigned(self, assigned: list[TopicPartition]) -> None:
        async with self._batch_lock:
            tps = [tp for tp in sorted(assigned) if tp.topic == self.config.input_topic]
            # Partitions load side by side: start-up time is mostly snapshot loading.
            states = await asyncio.gather(*(self._take_over(tp) for tp in tps))
            self.owned.update(zip(tps, states, strict=True))
            self.metrics.owned.labels(self.config.name).set(len(self.owned))
            self._standby.clear()  # not given back to us: someone else's now
            # Last: a batch fetched while the positions were being set must not be folded.
            self._epoch += 1
        self.assigned.set()

    async def _take_over(self, tp: TopicPartition) -> PartitionState:
        consumer = self._running()
        await self._committer().open(tp)  # fences the previous owner before we read its offset
        committed = await consumer.committed(tp)
        state = self._standby.pop(tp, None)
        if state is None or state.position != committed:
            state, checkpoint = await self.snapshots.load(tp.partition)
            state.position = checkpoint
            state.replay_until = committed or 0
            log.info("partition %d loaded: %d chunks, checkpoint %s, committed %s",
                     tp.partition, len(state.packed), checkpoint, committed)
        # Before the first fold: from here a previous owner still running cannot write the
        # checkpoint, nor any chunk this owner rewrites.
        state.epoch = await self.snapshots.claim(tp.partition, state.epoch)
        if state.position is None:  # never snapshotted: the whole log is the state
            state.position = (await consumer.beginning_offsets([tp]))[tp]
        # An explicit position: aiokafka would otherwise start at the committed offset.
        consumer.seek(tp, state.position)
        return state

    async def on_revoked(self, revoked: list[TopicPartition]) -> None:
        committer = self._committer()
        async with self._flush_lock:
            async with self._batch_lock:
                captures = []
                for tp in revoked:
                    state = self.owned.pop(tp, None)
                    if state is None:
                        continue
                    await committer.close(tp)
                    self.metrics.owned.labels(self.config.name).set(len(self.owned))
                    if not self._broken:
                        self._standby[tp] = state
                        captures.append(self.snapshots.capture(state))
            # Written before the next owner loads: Kafka revokes everywhere before it assigns.
            await self._write([c for c in captures if c is not None], self._standby)

    def rebalance_failed(self, error: Exception) -> None:
        self._rebalance_error = error
        self._broken = True  # what is owned is no longer known for sure: flush nothing more

    # -- write-behind -------------------------------------------------------------------------

    async def flush(self) -> None:
        """Write every owned partition's dirty chunks, then their checkpoints."""
        async with self._flush_lock:
            async with self._batch_lock:
                if self._broken:
                    return
                owned = dict(self.owned)
                captures = [c for s in owned.values() if (c := self.snapshots.capture(s))]
            await self._write(captures, owned)

    async def _write(self, captures: list[Capture],
                     owned: dict[TopicPartition, PartitionState]) -> None:
        for capture in captures:
            try:
                with self.metrics.flush.labels(self.config.name).time():
                    await self.snapshots.write(capture)
            except Fenced:
                await self._give_up(TopicPartition(self.config.input_topic, capture.partition))
            except Exception:
                log.warning("snapshot write failed; retried at the next flush", exc_info=True,
                            extra={"partition": capture.partition})
                state = owned.get(TopicPartition(self.config.input_topic, capture.partition))
                if state is not None:
                    state.dirty.update(capture.chunk_numbers)

    async def _give_up(self, tp: TopicPartition) -> None:
        """A newer owner claimed the partition (this instance was paused or cut off past its
        session): stop owning it, fold nothing more into it and write none of it. The group
        hands it back, if ever, through a rebalance and a fresh load."""
        log.warning("partition %d fenced: a newer owner claimed its snapshot", tp.partition)
        async with self._batch_lock:
            self.owned.pop(tp, None)
            self._standby.pop(tp, None)
            await self._committer().close(tp)
            self.metrics.owned.labels(self.config.name).set(len(self.owned))
            consumer = self._running()
            if tp in consumer.assignment():
                consumer.pause(tp)

    async def _flush_forever(self) -> None:
        while True:
            await asyncio.sleep(self.config.flush_interval_ms / 1000)
            try:
                await self.flush()
            except Exception:  # the next flush tries again; dying here would stop them all
                log.exception("snapshot flush failed")

    # -- reading ------------------------------------------------------------------------------

    def state_of(self, entity_id: str) -> Any:
        for state in self.owned.values():
            if (entity := state.entity(entity_id)) is not None:
                return entity.state
        return None

    def _running(self) -> AIOKafkaConsumer:
        if self.consumer is None:
            raise RuntimeError("processor not started")
        return self.consumer

    def _committer(self) -> Committer:
        if self.committer is None:
            raise RuntimeError("processor not started")
        return self.committer


class _Listener(ConsumerRebalanceListener):  # type: ignore[misc]
    def __init__(self, processor: PartitionProcessor) -> None:
        self.processor = processor

    async def on_partitions_revoked(self, revoked: list[TopicPartition]) -> None:
        try:
            await self.processor.on_revoked(list(revoked))
        except Exception as exc:
            self.processor.rebalance_failed(exc)
            raise

    async def on_partitions_assigned(self, assigned: list[TopicPartition]) -> None:
        try:
            await self.processor.on_assigned(list(assigned))
        except Exception as exc:
            self.processor.rebalance_failed(exc)
            raise
