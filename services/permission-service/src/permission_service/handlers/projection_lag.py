"""Makes the authorizer decide on a device projection that has seen every snapshot already on
`ssp.devices`.

Commands and device snapshots arrive on two topics, read by two consumers (possibly in other
instances of this service), so a command can overtake the snapshot that linked the device a
moment earlier. Before deciding, the authorizer reads the end offsets of `ssp.devices` and
waits until the device-view consumer group has committed up to them; the group commits only
after a snapshot is stored, so then the projection holds everything published before.

One proof serves every command produced well before it began: a snapshot that a command
follows was on the broker before that command was produced, hence before the proof. So a
backlog of commands is decided with one offsets request per batch, not one per command.
"""

from __future__ import annotations

import asyncio
import time

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from ssp_runtime.kafka_auth import KafkaOptions, with_defaults

POLL_S = 0.02


class ProjectionBehind(TimeoutError):
    """The device projection did not catch up in time; a TimeoutError, so the consumer
    retries the command later instead of deciding on stale facts."""


class ProjectionLag:
    def __init__(self, bootstrap: str, topic: str, group_id: str, max_wait_s: float,
                 clock_margin_s: float = 1.0, options: KafkaOptions | None = None) -> None:
        self.bootstrap = bootstrap
        self.options = with_defaults(options)
        self.clock_margin_s = clock_margin_s
        self._proof_began: float | None = None  # wall clock, when the last proof began
        self.topic = topic
        self.group_id = group_id
        self.max_wait_s = max_wait_s
        self._consumer: AIOKafkaConsumer | None = None
        self._admin: AIOKafkaAdminClient | None = None
        self._partitions: list[TopicPartition] = []
        self._caught_up_to: dict[TopicPartition, int] = {}

    async def start(self) -> None:
        self._consumer = AIOKafkaConsumer(bootstrap_servers=self.bootstrap, group_id=None,
                                          enable_auto_commit=False, **self.options)
        await self._consumer.start()
        self._admin = AIOKafkaAdminClient(bootstrap_servers=self.bootstrap,
                                          client_id="permission-service-projection-lag",
                                          **self.options)
        await self._admin.start()

    async def stop(self) -> None:
        if self._consumer is not None:
            await self._consumer.stop()
        if self._admin is not None:
            await self._admin.close()

    async def wait_caught_up(self, produced_at_ms: int | None = None) -> None:
        """Returns once the projection holds every snapshot published before a command
        produced at `produced_at_ms` (the record's timestamp; None: now)."""
        assert self._consumer is not None, "start() first"
        if proven_before(produced_at_ms, self._proof_began, self.clock_margin_s):
            return
        began = time.time()
        ends = await self._consumer.end_offsets(await self._topic_partitions())
        # Nothing new since the last proof: the common case costs one offsets request.
        if all(self._caught_up_to.get(tp, -1) >= end for tp, end in ends.items()):
            self._proof_began = began
            return
        deadline = time.monotonic() + self.max_wait_s
        while True:
            applied = await self._applied(list(ends))
            behind = [tp for tp, end in ends.items() if applied[tp] < end]
            if not behind:
                self._caught_up_to = dict(ends)
                self._proof_began = began
                return
            if time.monotonic() > deadline:
                raise ProjectionBehind(
                    f"device projection behind {self.topic} on partitions "
                    f"{sorted(tp.partition for tp in behind)} after {self.max_wait_s:.0f}s")
            await asyncio.sleep(POLL_S)

    async def _applied(self, partitions: list[TopicPartition]) -> dict[TopicPartition, int]:
        """Next offset to apply per partition; where the group never committed, the log start
        (compaction or retention may have removed everything before it)."""
        assert self._admin is not None and self._consumer is not None
        committed = await self._admin.list_consumer_group_offsets(
            self.group_id, partitions=partitions)
        applied = {tp: committed[tp].offset if tp in committed else -1 for tp in partitions}
        if any(offset < 0 for offset in applied.values()):
            starts = await self._consumer.beginning_offsets(partitions)
            applied = {tp: max(offset, starts[tp]) for tp, offset in applied.items()}
        return applied

    async def _topic_partitions(self) -> list[TopicPartition]:
        if not self._partitions:
            assert self._consumer is not None
            parts = None
            for _ in range(50):
                parts = self._consumer.partitions_for_topic(self.topic)
                if parts:
                    break
                await self._consumer._client.force_metadata_update()  # no public API for this
                await asyncio.sleep(0.1)
            if not parts:
                raise ProjectionBehind(f"topic {self.topic} has no partitions yet")
            self._partitions = [TopicPartition(self.topic, p) for p in sorted(parts)]
        return self._partitions


def proven_before(produced_at_ms: int | None, proof_began: float | None,
                  clock_margin_s: float) -> bool:
    """Whether a proof that began at `proof_began` (seconds, wall clock) already covers a
    command produced at `produced_at_ms`: the command is older than the proof by more than
    the allowance for clocks that disagree."""
    if produced_at_ms is None or proof_began is None:
        return False
    return produced_at_ms / 1000 < proof_began - clock_margin_s
