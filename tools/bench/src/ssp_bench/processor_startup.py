"""How long a partition processor takes to load its snapshot: the part of start-up that grows
with the devices owned (issue 15's target: a processor owning 1,000,000 devices ready within
60 s). Writes SSP_BENCH_STARTUP_DEVICES entities (default 100,000) with ~300-byte states over
6 partitions through the processor's own snapshot store, then loads all partitions back side
by side as an assignment does (ready: chunks read, still compressed), and reports both rates,
the figure extrapolated to 1,000,000, and the time the first reads then spend decoding every
chunk. SSP_BENCH_STARTUP_DEVICES=1000000 measures the target itself (~3.5 GB of memory)."""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from typing import Any

from pymongo import AsyncMongoClient
from ssp_runtime.processor.partition_state import Entity, PartitionState, chunk_of
from ssp_runtime.processor.snapshot import SnapshotStore

PARTITIONS = 6
PER_CHUNK = 1000  # entities per snapshot document


async def measure(mongo_url: str, devices: int) -> str:
    chunks = max(1, devices // PARTITIONS // PER_CHUNK)
    mongo: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(mongo_url)
    database = f"bench_startup_{uuid.uuid4().hex[:8]}"
    store = SnapshotStore(mongo[database]["snap"], name="bench", chunks=chunks)
    try:
        states = [PartitionState(p, chunks) for p in range(PARTITIONS)]
        for i in range(devices):
            device = f"device-{i:07d}"
            state = states[chunk_of(device, 1 << 30) % PARTITIONS]
            state.load(device, Entity({"status": "enrolled", "platform": "ios",
                                       "pending": {"lock": f"cmd-{i:032d}"},
                                       "versions": {"lock": 3, "refresh": 7},
                                       "name": f"iPhone of user {i % 7919:05d}",
                                       "serial": f"C02{i:09d}",
                                       "token": uuid.uuid4().hex + uuid.uuid4().hex}, i))
            state.dirty.add(chunk_of(device, chunks))
            state.position = i + 1
        started = time.perf_counter()
        for state in states:
            capture = store.capture(state)
            assert capture is not None
            await store.write(capture)
        written = time.perf_counter() - started
        started = time.perf_counter()  # side by side, as an assignment loads them
        loaded = await asyncio.gather(*(store.load(p) for p in range(PARTITIONS)))
        ready = time.perf_counter() - started
        # What the first reads pay after that, spread over them: every chunk decoded.
        started = time.perf_counter()
        decoded = sum(len(state.all_entities()) for state, _ in loaded)
        decode_s = time.perf_counter() - started
        assert decoded == devices
        return (f"processor snapshot of {devices:,} devices (~300-byte states, {chunks} documents "
                f"per partition, {PER_CHUNK:,} devices each): written in {written:.1f} s "
                f"({devices / written:,.0f} devices/s); loaded (ready) in {ready:.1f} s "
                f"({devices / ready:,.0f} devices/s, so 1,000,000 in about "
                f"{1_000_000 / devices * ready:.0f} s); every chunk decoded afterwards, as "
                f"first reads do, in {decode_s:.1f} s")
    finally:
        await mongo.drop_database(database)
        await mongo.close()


def run(mongo_url: str) -> list[str]:
    devices = int(os.environ.get("SSP_BENCH_STARTUP_DEVICES", "100000"))
    line = asyncio.run(measure(mongo_url, devices))
    print(line, flush=True)
    return [line]
