"""`ssp_consumer_lag{group,topic,partition}`: how many records each consumer group of this
service has not processed yet, asked of the broker every `SSP_CONSUMER_LAG_INTERVAL_S`.

Lag is the partition's end offset minus the group's committed offset. Groups commit only after
a handler succeeded, so a stuck handler shows as growing lag even while the process looks
healthy. Every instance of a service reports the same groups; dashboards take the max.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from prometheus_client import CollectorRegistry, Gauge

from ssp_runtime.kafka_auth import KafkaOptions, with_defaults

if TYPE_CHECKING:
    from ssp_runtime.consuming import Subscriptions

log = logging.getLogger(__name__)
MEASURE_TIMEOUT_S = 10.0


class ConsumerLag:
    def __init__(self, bootstrap: str, subs: Subscriptions, registry: CollectorRegistry, *,
                 interval_s: float, client_id: str, options: KafkaOptions | None = None) -> None:
        self.bootstrap = bootstrap
        self.options = with_defaults(options)
        self.subs = subs
        self.interval_s = interval_s
        self.client_id = client_id
        self.lag = Gauge("ssp_consumer_lag", "Records a consumer group has not processed yet "
                         "(end offset minus committed offset)", ["group", "topic", "partition"],
                         registry=registry)
        self._consumer: AIOKafkaConsumer | None = None
        self._admin: AIOKafkaAdminClient | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        if self.interval_s <= 0 or not self.subs.registrations:
            return
        # A group-less consumer only reads offsets; it never joins the service's groups.
        self._consumer = AIOKafkaConsumer(bootstrap_servers=self.bootstrap, group_id=None,
                                          enable_auto_commit=False,
                                          client_id=f"{self.client_id}-lag", **self.options)
        self._admin = AIOKafkaAdminClient(bootstrap_servers=self.bootstrap,
                                          client_id=f"{self.client_id}-lag", **self.options)
        await self._consumer.start()
        await self._admin.start()
        self._task = asyncio.create_task(self._loop())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._consumer is not None:
            await self._consumer.stop()
        if self._admin is not None:
            await self._admin.close()

    async def _loop(self) -> None:
        while True:
            try:
                await asyncio.wait_for(self.measure(), MEASURE_TIMEOUT_S)
            except Exception as exc:  # the broker may be away: try again next round
                log.warning("consumer lag not measured", extra={"error": repr(exc)})
            await asyncio.sleep(self.interval_s)

    async def measure(self) -> dict[tuple[str, str, int], int]:
        """Sets the gauge and returns {(group, topic, partition): lag}."""
        assert self._consumer is not None and self._admin is not None, "start() first"
        partitions = await self._partitions({r.topic for r in self.subs.registrations})
        everything = [tp for tps in partitions.values() for tp in tps]
        if not everything:
            return {}
        ends = await self._consumer.end_offsets(everything)
        starts = await self._consumer.beginning_offsets(everything)
        measured: dict[tuple[str, str, int], int] = {}
        for reg in self.subs.registrations:
            tps = partitions.get(reg.topic, [])
            if not tps:
                continue
            committed = await self._admin.list_consumer_group_offsets(reg.group, partitions=tps)
            for tp in tps:
                done = committed[tp].offset if tp in committed else -1
                if done < 0:
                    # Never committed: a group reading from the beginning has it all ahead of
                    # it; one starting at the end has nothing (yet).
                    done = starts[tp] if reg.from_beginning else ends[tp]
                lag = max(0, ends[tp] - done)
                self.lag.labels(reg.group, tp.topic, str(tp.partition)).set(lag)
                measured[(reg.group, tp.topic, tp.partition)] = lag
        return measured

    async def _partitions(self, topics: set[str]) -> dict[str, list[TopicPartition]]:
        assert self._consumer is not None
        await self._consumer._client.force_metadata_update()  # no public call refreshes it
        found: dict[str, list[TopicPartition]] = {}
        for topic in sorted(topics):
            parts = self._consumer.partitions_for_topic(topic) or set()
            found[topic] = [TopicPartition(topic, p) for p in sorted(parts)]
        return found
