"""A partition processor with a counting fold, for tests that kill it: run as
`python -m tests.support.counter_processor <group> <input> <output> <database> <mode>` with
KAFKA_BOOTSTRAP_SERVERS and MONGODB_URL set. It prints `owned <partitions>` after each
assignment and flushes its snapshot on SIGTERM. With SSP_TEST_STOP_IN_WRITE=1 it stops itself
(SIGSTOP) at its first snapshot write, holding the capture, and on SIGCONT writes it: a
paused owner resuming, a zombie; it prints `resumed write landed` or `resumed write fenced`."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import sys
from typing import Any

from aiokafka import ConsumerRecord
from pymongo import AsyncMongoClient
from ssp_runtime.processor import CommitMode, Output, PartitionProcessor, ProcessorConfig
from ssp_runtime.processor.snapshot import Capture, Fenced

SNAPSHOTS = "snapshots"


def counting_fold(output_topic: str):  # type: ignore[no-untyped-def]
    """Counts each key's records; every output carries the count, the version a reader
    deduplicates by."""

    def fold(state: Any, record: ConsumerRecord) -> tuple[Any, list[Output]]:
        n = (state or {"n": 0})["n"] + 1
        value = json.loads(record.value)["v"]
        out = json.dumps({"key": record.key.decode(), "n": n, "v": value}).encode()
        return {"n": n, "last": value}, [Output(output_topic, out)]

    return fold


def config(group: str, input_topic: str, mode: str) -> ProcessorConfig:
    return ProcessorConfig(name="counter", group_id=group, input_topic=input_topic,
                           commit=CommitMode(mode), flush_interval_ms=200,
                           chunks_per_partition=8)


async def main(group: str, input_topic: str, output_topic: str, database: str,
               mode: str) -> None:
    mongo: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(os.environ["MONGODB_URL"])
    processor = PartitionProcessor(config(group, input_topic, mode),
                                   counting_fold(output_topic),
                                   bootstrap=os.environ["KAFKA_BOOTSTRAP_SERVERS"],
                                   collection=mongo[database][SNAPSHOTS])
    assigned = processor.on_assigned

    async def announce(tps):  # type: ignore[no-untyped-def]
        await assigned(tps)
        print("owned " + ",".join(str(tp.partition) for tp in sorted(processor.owned)),
              flush=True)

    processor.on_assigned = announce  # type: ignore[method-assign]
    if os.environ.get("SSP_TEST_STOP_IN_WRITE"):
        stop_in_first_write(processor)
    await processor.start()
    task = asyncio.create_task(processor.run())
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
    try:
        await task
    except asyncio.CancelledError:
        pass
    finally:
        await processor.stop()
        await mongo.close()
        print("stopped", flush=True)


def stop_in_first_write(processor: PartitionProcessor) -> None:
    write = processor.snapshots.write
    stopped = False

    async def stop_then_write(capture: Capture) -> None:
        nonlocal stopped
        if stopped:
            return await write(capture)
        stopped = True
        print("stopping in a snapshot write", flush=True)
        os.kill(os.getpid(), signal.SIGSTOP)  # resumes right here on SIGCONT
        try:
            await write(capture)
        except Fenced:
            print("resumed write fenced", flush=True)
            raise
        print("resumed write landed", flush=True)

    processor.snapshots.write = stop_then_write  # type: ignore[method-assign]


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s %(message)s")
    logging.getLogger("aiokafka").setLevel(logging.WARNING)
    asyncio.run(main(*sys.argv[1:6]))
