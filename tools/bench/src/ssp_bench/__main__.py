"""`make bench`: every benchmark against the running stack; figures go to docs/benchmarks.md."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from ssp_contracts.topics import TOPICS, dlq_name
from ssp_runtime.kafka import ensure_topics

from ssp_bench import (
    apple_dispatch,
    authorizer,
    click_to_device,
    csv_import,
    gateway_reads,
    kafka_floor,
    partition_processor,
    pipeline,
    processor_startup,
)
from ssp_bench.stats import machine

OUT = Path("docs/benchmarks.md")


def main() -> int:
    bootstrap = os.environ["KAFKA_BOOTSTRAP_SERVERS"]
    mongo = os.environ["MONGODB_URL"]
    asyncio.run(ensure_topics(bootstrap, [*TOPICS, *(dlq_name(t) for t in TOPICS)]))
    # Apple dispatchers before the authorizer: the authorizer's run leaves its authorized
    # commands for unknown devices on ssp.commands.apple, which a dispatcher would have to
    # refuse first.
    benches: dict[str, Callable[[], list[str]]] = {
        "kafka_floor": lambda: [kafka_floor.run(bootstrap)],
        "apple_dispatch": lambda: apple_dispatch.run(bootstrap, mongo),
        "click_to_device": lambda: click_to_device.run(bootstrap, mongo),
        "pipeline": lambda: pipeline.run(bootstrap, mongo),
        "authorizer": lambda: [authorizer.run(bootstrap, mongo)],
        "csv_import": lambda: csv_import.run(bootstrap, mongo),
        "gateway_reads": lambda: gateway_reads.run(bootstrap, mongo),
        "partition_processor": lambda: partition_processor.run(bootstrap, mongo),
        "processor_startup": lambda: processor_startup.run(mongo),
    }
    # SSP_BENCH_ONLY=gateway_reads,kafka_floor runs those alone (in this order).
    only = [n for n in os.environ.get("SSP_BENCH_ONLY", "").split(",") if n]
    unknown = set(only) - set(benches)
    if unknown:
        print(f"unknown benchmarks {sorted(unknown)}; known: {sorted(benches)}", file=sys.stderr)
        return 2
    figures = [line for name in (only or benches) for line in benches[name]()]
    # Every SSP_BENCH_* setting of the run is named, so the figures can be reproduced.
    settings = " ".join(f"{k}={v}" for k, v in sorted(os.environ.items())
                        if k.startswith("SSP_BENCH_") and v)
    section = [f"## Run of {datetime.now(UTC):%Y-%m-%d %H:%M} UTC", "",
               f"Machine: {machine()}. Command: `make bench`"
               + (f" with {settings}." if settings else "."), ""]
    section += [f"- {line}" for line in figures]
    text = OUT.read_text() if OUT.exists() else _HEADER
    OUT.write_text(text.rstrip() + "\n\n" + "\n".join(section) + "\n")
    print(f"appended to {OUT}")
    return 0


_HEADER = """# Benchmarks

Figures measured by `make bench` on the machine named in each run (local Kafka in KRaft mode
and FerretDB with SQLite, started by the devstack). Each run appends a section; targets and
analysis are in the section "Reading the figures" when present.
"""

if __name__ == "__main__":
    sys.path.insert(0, str(Path.cwd()))
    sys.exit(main())
