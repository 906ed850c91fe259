"""What the partition-processor tests share: 6-partition topics of their own, a counting
processor run as a process that can be killed, the inputs sent and the outputs read back."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from ssp_runtime.kafka_auth import kafka_options
from ssp_runtime.processor.partition_state import INPUT_HEADER
from ssp_runtime.processor.snapshot import SnapshotStore

from tests.support.counter_processor import SNAPSHOTS

PARTITIONS = 6
REPO = Path(__file__).resolve().parents[2]


@dataclass
class Inputs:
    """Sends `{"v": i}` records and remembers, per key, the values in order and its partition."""

    bootstrap: str
    topic: str
    sent: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    partition_of: dict[str, int] = field(default_factory=dict)
    _producer: AIOKafkaProducer | None = None

    async def __aenter__(self) -> Inputs:
        self._producer = AIOKafkaProducer(bootstrap_servers=self.bootstrap, acks="all",
                                          enable_idempotence=True, linger_ms=1, **kafka_options())
        await self._producer.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._producer is not None
        await self._producer.stop()

    async def send(self, keys: list[str], start: int, count: int) -> None:
        assert self._producer is not None
        futures = []
        for i in range(start, start + count):
            key = keys[i % len(keys)]
            self.sent[key].append(i)
            futures.append(await self._producer.send(
                self.topic, json.dumps({"v": i}).encode(), key=key.encode()))
        for key, meta in zip([keys[i % len(keys)] for i in range(start, start + count)],
                             await asyncio.gather(*futures), strict=True):
            self.partition_of[key] = meta.partition

    def expected(self) -> dict[str, list[tuple[int, int]]]:
        """Each key's outputs: (count, value) for its 1st, 2nd, ... record."""
        return {k: [(n, v) for n, v in enumerate(vs, start=1)] for k, vs in self.sent.items()}


class Outputs:
    """Reads the whole output topic from the start, as a `read_committed` consumer would."""

    def __init__(self, bootstrap: str, topic: str) -> None:
        self.bootstrap, self.topic = bootstrap, topic
        self.seen: list[ConsumerRecord] = []
        self._c: AIOKafkaConsumer | None = None

    async def __aenter__(self) -> Outputs:
        self._c = AIOKafkaConsumer(bootstrap_servers=self.bootstrap, group_id=None,
                                   isolation_level="read_committed", fetch_max_wait_ms=100,
                                   enable_auto_commit=False, **kafka_options())
        await self._c.start()
        tps = [TopicPartition(self.topic, p) for p in range(PARTITIONS)]
        self._c.assign(tps)
        await self._c.seek_to_beginning(*tps)
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._c is not None
        await self._c.stop()

    def per_key(self, deduplicate: bool = False) -> dict[str, list[tuple[int, int]]]:
        result: dict[str, list[tuple[int, int]]] = defaultdict(list)
        for record in self.seen:
            out = json.loads(record.value)
            entry = (out["n"], out["v"])
            if deduplicate and entry in result[out["key"]]:
                continue
            result[out["key"]].append(entry)
        return {k: sorted(v) if deduplicate else v for k, v in result.items()}

    def repeated(self) -> list[tuple[bytes, bytes]]:
        """Outputs whose (key, n) was seen before, with their origin: for failure messages."""
        seen: set[tuple[str, int]] = set()
        found = []
        for record in self.seen:
            out = json.loads(record.value)
            if (out["key"], out["n"]) in seen:
                found.append((record.value, dict(record.headers)[INPUT_HEADER]))
            seen.add((out["key"], out["n"]))
        return found[:10]

    def duplicates_are_identical(self) -> bool:
        """At-least-once may repeat an output; a repeat must be the same record."""
        first: dict[tuple[str, int], tuple[bytes, bytes]] = {}
        for record in self.seen:
            out = json.loads(record.value)
            origin = dict(record.headers)[INPUT_HEADER]
            if first.setdefault((out["key"], out["n"]), (record.value, origin)) != (
                    record.value, origin):
                return False
        return True

    async def wait_for(self, count: int, timeout_s: float = 60.0) -> None:
        """Until `count` distinct (key, n) outputs are in (or fail at the deadline)."""
        assert self._c is not None
        deadline = time.monotonic() + timeout_s
        while len({(json.loads(r.value)["key"], json.loads(r.value)["n"])
                   for r in self.seen}) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"{len(self.seen)} outputs, wanted {count} distinct, "
                                     f"within {timeout_s}s; repeated: {self.repeated()}")
            batches = await self._c.getmany(timeout_ms=200)
            self.seen.extend(r for records in batches.values() for r in records)

    async def settle(self, quiet_s: float = 1.0) -> None:
        """Read until nothing new arrived for `quiet_s`: late duplicates would show up here."""
        assert self._c is not None
        quiet_since = time.monotonic()
        while time.monotonic() - quiet_since < quiet_s:
            batches = await self._c.getmany(timeout_ms=200)
            if batches:
                self.seen.extend(r for records in batches.values() for r in records)
                quiet_since = time.monotonic()


@dataclass
class CounterInstance:
    """tests.support.counter_processor in a process of its own."""

    args: list[str]
    env: dict[str, str]
    log_path: Path
    proc: subprocess.Popen[bytes] | None = None

    def start(self, **extra_env: str) -> CounterInstance:
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(  # our own interpreter and module
                [sys.executable, "-m", "tests.support.counter_processor", *self.args],
                env={**os.environ, **self.env, **extra_env}, cwd=REPO, stdout=log,
                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
        return self

    def owned(self) -> list[set[int]]:
        """Every assignment it announced, in order."""
        lines = self.log_path.read_text(errors="replace").splitlines()
        return [{int(p) for p in line[6:].split(",") if p} for line in lines
                if line.startswith("owned ")]

    async def wait_owning(self, timeout_s: float = 30.0) -> set[int]:
        deadline = time.monotonic() + timeout_s
        while not (self.owned() and self.owned()[-1]):
            if self.proc is not None and self.proc.poll() is not None:
                raise AssertionError(f"exited {self.proc.returncode}:\n{self.tail()}")
            if time.monotonic() > deadline:
                raise AssertionError(f"no partitions within {timeout_s}s:\n{self.tail()}")
            await asyncio.sleep(0.1)
        return self.owned()[-1]

    async def wait_exit(self, timeout_s: float = 30.0) -> int:
        assert self.proc is not None
        return await asyncio.to_thread(self.proc.wait, timeout_s)

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.kill()  # SIGKILL: no flush, no leaving the group, an open transaction
        self.proc.wait(10)

    async def stop(self) -> None:
        """SIGTERM: the processor flushes its snapshot and leaves the group."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                await self.wait_exit(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()

    async def wait_line(self, prefix: str, timeout_s: float = 30.0) -> str:
        deadline = time.monotonic() + timeout_s
        while True:
            lines = self.log_path.read_text(errors="replace").splitlines()
            if found := next((line for line in lines if line.startswith(prefix)), None):
                return found
            if time.monotonic() > deadline:
                raise AssertionError(f"no '{prefix}' within {timeout_s}s:\n{self.tail()}")
            await asyncio.sleep(0.1)

    def tail(self) -> str:
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-40:])


async def snapshot_counts(mongo: Any, database: str) -> dict[str, int]:
    """Each key's count as the snapshot in the database has it, all partitions."""
    store = SnapshotStore(mongo[database][SNAPSHOTS], name="counter", chunks=8)
    counts: dict[str, int] = {}
    for partition in range(PARTITIONS):
        state, _ = await store.load(partition)
        counts.update({k: e.state["n"] for k, e in state.all_entities().items()})
    return counts
