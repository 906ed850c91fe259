"""Throughput of one partition processor (ssp_runtime.processor) with a trivial fold, by
commit mode and batch size, against the raw Kafka hop measured in the same run: the same
records through a bare aiokafka consume -> produce -> commit loop with no state.

Each configuration gets fresh 6-partition topics, pre-filled with small JSON records keyed by
3,000 device ids; the clock runs from the moment the processor owns its partitions until
every input record's batch is committed. The CPU time of this process (processor, its Kafka
clients and the snapshot writes; not the broker's nor the database's) is reported per 1,000
records, steadier than records/s on a machine shared with other work. Then the latency from
an input produced to its output consumed, at 20 and 500 records/s, against the one-hop floor.

SSP_BENCH_PROCESSOR_CHUNKS (snapshot documents per partition) and
SSP_BENCH_PROCESSOR_FLUSH_MS (write-behind interval; a large one keeps the database out of the
run) show what the snapshot costs."""

from __future__ import annotations

import asyncio
import json
import os
import time
import uuid
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord
from pymongo import AsyncMongoClient
from ssp_runtime.kafka_auth import kafka_options
from ssp_runtime.processor import CommitMode, Output, PartitionProcessor, ProcessorConfig

from ssp_bench.kafka_floor import round_trips
from ssp_bench.stats import fmt, percentiles
from tests.support.kafka import create_topics

PARTITIONS = 6
DEVICES = 3000
BATCHES = (10, 100, 500)


async def _topics(bootstrap: str, tag: str) -> tuple[str, str]:
    names = (f"bench.proc.{tag}.in", f"bench.proc.{tag}.out")
    await create_topics(bootstrap, list(names), PARTITIONS)
    return names


async def _fill(bootstrap: str, topic: str, count: int) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all",
                                enable_idempotence=True, linger_ms=5, **kafka_options())
    await producer.start()
    try:
        pad = "x" * 240  # ~300-byte records, as the services' events
        sent = [await producer.send(topic, json.dumps({"v": i, "pad": pad}).encode(),
                                    key=f"device-{i % DEVICES:05d}".encode())
                for i in range(count)]
        await asyncio.gather(*sent)
    finally:
        await producer.stop()


def _fold(output_topic: str):  # type: ignore[no-untyped-def]
    def fold(state: Any, record: ConsumerRecord) -> tuple[Any, list[Output]]:
        n = (state or 0) + 1
        return n, [Output(output_topic, b'{"n":%d}' % n)]
    return fold


def _chunks() -> int:
    return int(os.environ.get("SSP_BENCH_PROCESSOR_CHUNKS", "16"))


def _flush_ms() -> int:
    return int(os.environ.get("SSP_BENCH_PROCESSOR_FLUSH_MS", "300"))


async def _processor(bootstrap: str, mongo_url: str, mode: CommitMode, batch: int,
                     count: int) -> tuple[float, float, float]:
    """records/s, CPU ms per 1,000 records, seconds for the last snapshot flush."""
    tag = uuid.uuid4().hex[:8]
    in_topic, out_topic = await _topics(bootstrap, tag)
    await _fill(bootstrap, in_topic, count)
    mongo: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(mongo_url)
    processor = PartitionProcessor(
        ProcessorConfig(name="bench", group_id=f"bench-{tag}", input_topic=in_topic,
                        commit=mode, max_records=batch, chunks_per_partition=_chunks(),
                        flush_interval_ms=_flush_ms()),
        _fold(out_topic), bootstrap=bootstrap, collection=mongo[f"bench_proc_{tag}"]["snap"])
    await processor.start()
    task = asyncio.create_task(processor.run())
    try:
        await asyncio.wait_for(processor.assigned.wait(), 60)
        started, cpu = time.perf_counter(), time.process_time()
        while processor.records_committed < count:
            if task.done():
                task.result()
            await asyncio.sleep(0.01)
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
        flush_started = time.perf_counter()
        await processor.flush()
        return count / elapsed, cpu * 1e6 / count, time.perf_counter() - flush_started
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await processor.stop()
        await mongo.drop_database(f"bench_proc_{tag}")
        await mongo.close()


def _echo(output_topic: str):  # type: ignore[no-untyped-def]
    def fold(state: Any, record: ConsumerRecord) -> tuple[Any, list[Output]]:
        return (state or 0) + 1, [Output(output_topic, record.value)]
    return fold


async def _paced(bootstrap: str, mongo_url: str, mode: CommitMode, rate: int,
                 seconds: float) -> dict[str, float]:
    """Input produced -> output consumed, in ms, at a steady `rate` records/s."""
    tag = uuid.uuid4().hex[:8]
    in_topic, out_topic = await _topics(bootstrap, tag)
    mongo: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(mongo_url)
    processor = PartitionProcessor(
        ProcessorConfig(name="bench", group_id=f"bench-{tag}", input_topic=in_topic,
                        commit=mode, chunks_per_partition=_chunks(),
                        flush_interval_ms=_flush_ms()),
        _echo(out_topic), bootstrap=bootstrap, collection=mongo[f"bench_proc_{tag}"]["snap"])
    consumer = AIOKafkaConsumer(out_topic, bootstrap_servers=bootstrap, group_id=None,
                                auto_offset_reset="earliest", fetch_max_wait_ms=10,
                                isolation_level="read_committed", **kafka_options())
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all",
                                enable_idempotence=True, linger_ms=0, **kafka_options())
    await processor.start()
    task = asyncio.create_task(processor.run())
    await consumer.start()
    await producer.start()
    samples: list[float] = []
    try:
        await asyncio.wait_for(processor.assigned.wait(), 60)
        total = int(rate * seconds)

        async def read() -> None:
            while len(samples) < total:
                for records in (await consumer.getmany(timeout_ms=100)).values():
                    now = time.perf_counter()
                    samples.extend((now - float(r.value)) * 1000 for r in records)

        reading = asyncio.create_task(read())
        started = time.perf_counter()
        for i in range(total):
            await asyncio.sleep(max(0.0, started + i / rate - time.perf_counter()))
            await producer.send(in_topic, str(time.perf_counter()).encode(),
                                key=f"device-{i % DEVICES:05d}".encode())
        await asyncio.wait_for(reading, 60)
        return percentiles(samples)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        for client in (producer, consumer, processor):
            await client.stop()
        await mongo.drop_database(f"bench_proc_{tag}")
        await mongo.close()


async def _raw(bootstrap: str, batch: int, count: int) -> tuple[float, float]:
    """The floor: consume a batch, produce one record per input, commit; no state."""
    tag = uuid.uuid4().hex[:8]
    in_topic, out_topic = await _topics(bootstrap, tag)
    await _fill(bootstrap, in_topic, count)
    consumer = AIOKafkaConsumer(in_topic, bootstrap_servers=bootstrap, group_id=f"raw-{tag}",
                                enable_auto_commit=False, auto_offset_reset="earliest",
                                **kafka_options())
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all",
                                enable_idempotence=True, linger_ms=1, **kafka_options())
    await producer.start()
    await consumer.start()
    try:
        done, started, cpu = 0, 0.0, 0.0
        while done < count:
            batches = await consumer.getmany(timeout_ms=5, max_records=batch)
            if not batches:
                continue
            if not started:
                started, cpu = time.perf_counter(), time.process_time()
            sent = [await producer.send(out_topic, b'{"n":1}', key=r.key)
                    for records in batches.values() for r in records]
            await asyncio.gather(*sent)
            await consumer.commit()
            done += len(sent)
        return (count / (time.perf_counter() - started),
                (time.process_time() - cpu) * 1e6 / count)
    finally:
        await consumer.stop()
        await producer.stop()


async def measure(bootstrap: str, mongo_url: str, count: int) -> list[str]:
    hop = await round_trips(bootstrap, count=200)
    lines = [f"partition processor bench: raw Kafka produce->consume one hop in the same run: "
             f"{fmt(hop)}"]
    for batch in BATCHES:
        n = count if batch >= 100 else count // 4  # batch 10 is slow; keep the run short
        raw, raw_cpu = await _raw(bootstrap, batch, n)
        figures = [f"raw consume->produce->commit {raw:,.0f} records/s "
                   f"({raw_cpu:.0f} ms CPU/1,000)"]
        for mode in CommitMode:
            rate, cpu, flush_s = await _processor(bootstrap, mongo_url, mode, batch, n)
            figures.append(f"{mode.value} {rate:,.0f} records/s = {rate / raw:.2f}x raw "
                           f"({cpu:.0f} ms CPU/1,000; last flush {flush_s:.2f} s)")
        lines.append(f"partition processor, batches of at most {batch}, {n:,} records to "
                     f"{DEVICES:,} devices, 6 partitions, trivial fold, snapshot in "
                     f"{_chunks()} documents per partition every {_flush_ms()} ms: "
                     + "; ".join(figures))
        print(lines[-1], flush=True)
    for rate in (20, 500):
        figures = []
        for mode in CommitMode:
            lat = await _paced(bootstrap, mongo_url, mode, rate, seconds=10)
            figures.append(f"{mode.value} {fmt(lat)} (p50 {lat['p50'] / hop['p50']:.1f}x, "
                           f"p99 {lat['p99'] / hop['p99']:.1f}x one hop)")
        lines.append(f"partition processor latency, input produced -> output consumed, "
                     f"{rate} records/s for 10 s: " + "; ".join(figures))
        print(lines[-1], flush=True)
    return lines


def run(bootstrap: str, mongo_url: str) -> list[str]:
    count = int(os.environ.get("SSP_BENCH_PROCESSOR_RECORDS", "20000"))
    return asyncio.run(measure(bootstrap, mongo_url, count))
