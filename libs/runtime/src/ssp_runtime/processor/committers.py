"""The two commit protocols behind one interface: produce a partition's outputs, then commit
the batch's input offsets (see CommitMode)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Any, Protocol

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from ssp_runtime.kafka import METADATA_MAX_AGE_MS
from ssp_runtime.kafka_auth import KafkaOptions
from ssp_runtime.processor.model import Output, ProcessorConfig


class Committer(Protocol):
    async def start(self) -> None: ...

    async def open(self, tp: TopicPartition) -> None:
        """Called on assignment, before the committed offset is read."""

    async def close(self, tp: TopicPartition) -> None: ...

    async def produce(self, tp: TopicPartition, outputs: list[Output]) -> None:
        """Returns when the broker has every output of this partition's batch."""

    async def commit(self, offsets: dict[TopicPartition, int]) -> None: ...

    async def stop(self) -> None: ...


def _producer(bootstrap: str, client_id: str, **extra: Any) -> AIOKafkaProducer:
    return AIOKafkaProducer(bootstrap_servers=bootstrap, client_id=client_id, acks="all",
                            enable_idempotence=True, linger_ms=1,
                            metadata_max_age_ms=METADATA_MAX_AGE_MS, **extra)


async def _send_all(producer: AIOKafkaProducer, outputs: Iterable[Output]) -> None:
    sent = [await producer.send(o.topic, o.value, key=(o.key or "").encode(),
                                headers=list(o.headers)) for o in outputs]
    if sent:
        await asyncio.gather(*sent)


class TransactionalCommitter:
    """A transactional producer per owned input partition; a transaction per partition and
    batch. Starting the producer fences the partition's previous owner: its open transaction
    is aborted before this owner reads the committed offset."""

    def __init__(self, config: ProcessorConfig, bootstrap: str, options: KafkaOptions) -> None:
        self.config = config
        self.bootstrap = bootstrap
        self.options = options
        self.producers: dict[TopicPartition, AIOKafkaProducer] = {}

    async def start(self) -> None:
        pass

    async def open(self, tp: TopicPartition) -> None:
        # retry_backoff_ms=5: with aiokafka's 100 ms, Kafka 4's transient coordinator errors on
        # transactional commits made a 3-processor chain's p99 223 ms instead of 26 ms.
        producer = _producer(self.bootstrap, f"{self.config.client_id}-{tp.partition}",
                             transactional_id=self.config.transactional_id(tp.partition),
                             retry_backoff_ms=5, **self.options)
        await producer.start()
        self.producers[tp] = producer

    async def close(self, tp: TopicPartition) -> None:
        producer = self.producers.pop(tp, None)
        if producer is not None:
            await producer.stop()

    async def produce(self, tp: TopicPartition, outputs: list[Output]) -> None:
        producer = self.producers[tp]
        await producer.begin_transaction()
        await _send_all(producer, outputs)

    async def commit(self, offsets: dict[TopicPartition, int]) -> None:
        async def one(tp: TopicPartition, offset: int) -> None:
            producer = self.producers[tp]
            await producer.send_offsets_to_transaction({tp: offset}, self.config.group_id)
            await producer.commit_transaction()

        await asyncio.gather(*(one(tp, offset) for tp, offset in offsets.items()))

    async def stop(self) -> None:
        for tp in list(self.producers):
            await self.close(tp)


class AtLeastOnceCommitter:
    """One idempotent producer; the consumer commits the offsets after every output is
    acknowledged."""

    def __init__(self, config: ProcessorConfig, bootstrap: str,
                 consumer: AIOKafkaConsumer, options: KafkaOptions) -> None:
        self.consumer = consumer
        self.producer = _producer(bootstrap, config.client_id, **options)

    async def start(self) -> None:
        await self.producer.start()

    async def open(self, tp: TopicPartition) -> None:
        pass

    async def close(self, tp: TopicPartition) -> None:
        pass

    async def produce(self, tp: TopicPartition, outputs: list[Output]) -> None:
        await _send_all(self.producer, outputs)

    async def commit(self, offsets: dict[TopicPartition, int]) -> None:
        await self.consumer.commit(offsets)

    async def stop(self) -> None:
        await self.producer.stop()
