"""Keeps the command limits (`domain.command_limits`) current from `ssp.commands.status`.

Every instance reads every partition of the status topic without a consumer group, from the
first record that can still matter (the limits' horizon back, by record time), into its
in-memory `LimitBook`: no database read per decision. The per-user limit and the per-org wipe
breaker span devices and so partitions; reading them all lets one instance see what the others
decided (docs/architecture.md, "Command limits", says what that guarantees).

Before a decision the authorizer proves the book current, like the device projection
(`projection_lag`): it reads the topic's end offsets and waits until the book has folded up to
them, so a command that finished before a request was produced frees its slot for it. One proof
serves every request produced well before it began.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from pydantic import ValidationError
from ssp_contracts.cloudevents import header_text
from ssp_contracts.commands import CommandStatusChanged
from ssp_contracts.topics import COMMANDS_STATUS
from ssp_runtime.kafka_auth import KafkaOptions, with_defaults

from permission_service.domain.command_limits import LimitBook
from permission_service.handlers.projection_lag import POLL_S, proven_before

log = logging.getLogger(__name__)
RETRY_S = 1.0


class StatusFeedBehind(TimeoutError):
    """The book did not catch up with the status topic in time; the request is retried."""


class StatusFeed:
    def __init__(self, bootstrap: str, book: LimitBook, *, max_wait_s: float, clock_margin_s: float,
                 options: KafkaOptions | None = None, topic: str = COMMANDS_STATUS) -> None:
        self.bootstrap = bootstrap
        self.book = book
        self.topic = topic
        self.max_wait_s = max_wait_s
        self.clock_margin_s = clock_margin_s
        self.options = with_defaults(options)
        self._consumer: AIOKafkaConsumer | None = None
        self._task: asyncio.Task[None] | None = None
        self._folded: dict[TopicPartition, int] = {}  # next offset to fold, per partition
        self._proof_began: float | None = None
        self.ready = asyncio.Event()  # positioned: the proofs can start

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        if self._consumer is not None:
            await self._consumer.stop()

    async def wait_caught_up(self, produced_at_ms: int | None) -> None:
        """Returns once the book holds every status on the topic before a request produced at
        `produced_at_ms` (its Kafka record time; None: now)."""
        if proven_before(produced_at_ms, self._proof_began, self.clock_margin_s):
            return
        began = time.time()
        deadline = time.monotonic() + self.max_wait_s
        try:
            await asyncio.wait_for(self.ready.wait(), self.max_wait_s)
        except TimeoutError as late:
            raise StatusFeedBehind(f"{self.topic} not yet read") from late
        assert self._consumer is not None
        ends = await self._consumer.end_offsets(list(self._folded))
        while True:
            behind = [tp for tp, end in ends.items() if self._folded.get(tp, 0) < end]
            if not behind:
                self._proof_began = began
                return
            if time.monotonic() > deadline:
                raise StatusFeedBehind(
                    f"command limits behind {self.topic} on partitions "
                    f"{sorted(tp.partition for tp in behind)} after {self.max_wait_s:.0f}s")
            await asyncio.sleep(POLL_S)

    async def _run(self) -> None:
        """Reads for ever; a failure (broker away) starts over from the horizon, folding
        again what it had (the fold is idempotent)."""
        while True:
            try:
                await self._open()
                await self._read()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning("status feed failed; reading again", exc_info=True)
                self.ready.clear()
                if self._consumer is not None:
                    with contextlib.suppress(Exception):
                        await self._consumer.stop()
                    self._consumer = None
                await asyncio.sleep(RETRY_S)

    async def _open(self) -> None:
        consumer = AIOKafkaConsumer(bootstrap_servers=self.bootstrap, group_id=None,
                                    enable_auto_commit=False, **self.options)
        self._consumer = consumer
        await consumer.start()
        tps = await self._partitions(consumer)
        consumer.assign(tps)
        since_ms = int((time.time() - self.book.policy.horizon.total_seconds()) * 1000)
        found = await consumer.offsets_for_times({tp: since_ms for tp in tps})
        ends = await consumer.end_offsets(tps)
        for tp in tps:
            at = found.get(tp)
            offset = at.offset if at is not None else ends[tp]
            consumer.seek(tp, offset)
            self._folded[tp] = offset
        log.info("status feed reads %s from %d minutes back", self.topic,
                 self.book.policy.horizon.total_seconds() // 60)
        self.ready.set()

    async def _read(self) -> None:
        assert self._consumer is not None
        while True:
            batches = await self._consumer.getmany(timeout_ms=200, max_records=2000)
            for tp, records in batches.items():
                for record in records:
                    self._fold(record)
                if records:
                    self._folded[tp] = records[-1].offset + 1

    def _fold(self, record: ConsumerRecord) -> None:
        headers = {k: v for k, v in (record.headers or ())}
        if record.value is None or header_text(
                headers, "ce_type") != CommandStatusChanged.event_type:
            return
        try:
            status = CommandStatusChanged.model_validate_json(record.value)
        except ValidationError:
            return  # poison: the status topic's own readers dead-letter it
        self.book.fold(status)

    async def _partitions(self, consumer: AIOKafkaConsumer) -> list[TopicPartition]:
        for _ in range(100):
            parts = consumer.partitions_for_topic(self.topic)
            if parts:
                return [TopicPartition(self.topic, p) for p in sorted(parts)]
            await consumer._client.force_metadata_update()  # no public API for this
            await asyncio.sleep(0.1)
        raise StatusFeedBehind(f"topic {self.topic} has no partitions yet")
