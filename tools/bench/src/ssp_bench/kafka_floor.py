"""The floor: a raw aiokafka produce -> consume round trip on this machine's broker, with the
same producer settings the services use (acks=all, idempotent)."""

from __future__ import annotations

import asyncio
import time
import uuid

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from ssp_contracts.topics import HEARTBEATS
from ssp_runtime.kafka_auth import kafka_options

from ssp_bench.stats import fmt, percentiles


async def round_trips(bootstrap: str, count: int = 500) -> dict[str, float]:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True,
                                linger_ms=0, **kafka_options())
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None,
                                fetch_max_wait_ms=10, **kafka_options())
    await producer.start()
    await consumer.start()
    try:
        tp = TopicPartition(HEARTBEATS, 0)
        consumer.assign([tp])
        await consumer.seek_to_end(tp)
        await consumer.position(tp)
        marker = uuid.uuid4().hex.encode()
        samples = []
        for i in range(count):
            sent = time.perf_counter()
            await producer.send_and_wait(HEARTBEATS, b"bench", key=marker + str(i).encode(),
                                         partition=0)
            while True:
                records = await consumer.getmany(tp, timeout_ms=1000)
                if any(r.key == marker + str(i).encode() for r in records.get(tp, [])):
                    break
            samples.append((time.perf_counter() - sent) * 1000)
        return percentiles(samples)
    finally:
        await consumer.stop()
        await producer.stop()


def run(bootstrap: str) -> str:
    result = asyncio.run(round_trips(bootstrap))
    line = f"raw Kafka produce->consume round trip (one hop): {fmt(result)}"
    print(line, flush=True)
    return line
