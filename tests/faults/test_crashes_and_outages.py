"""Commands keep flowing while, one at a time, every service (the gateway too) is SIGKILLed and
restarted, the Kafka broker is stopped and started, and FerretDB is stopped and started. Most
commands are requested on Kafka, every fourth over the gateway's HTTP API.

The default run sends 100 commands; `make test-faults` sends 1,000 (marker `faults_long`).
"""

from __future__ import annotations

import time

import pytest

from tests.faults.pipeline import (
    GATEWAY_FAULT,
    SERVICE_FAULTS,
    STACK_FAULTS,
    local_stack,
    running_pipeline,
)

FAULTS = (*SERVICE_FAULTS, GATEWAY_FAULT, *STACK_FAULTS)


async def _run_under_faults(services, bootstrap, mongo, run_id, commands: int) -> None:
    if local_stack() is None:
        pytest.skip("Kafka and FerretDB are external: this run cannot stop and start them")
    began = time.monotonic()
    async with running_pipeline(services, bootstrap, run_id, gateway=True) as pipeline:
        ready = time.monotonic()
        per_batch = commands // (len(FAULTS) + 1)
        for fault in FAULTS:
            await pipeline.request(per_batch)
            await pipeline.inflict(fault)
        await pipeline.request(commands - pipeline.sent)
        faulted = time.monotonic()
        # An Apple command whose answer died with the killed dispatcher is sent again: Apple's
        # protocol has no other way to learn its fate, so one repeat (the command in flight at
        # the kill) is tolerated, as in tests/e2e/test_apple_lifecycle.py.
        # The command path runs at tens of commands/s on FerretDB (docs/benchmarks.md), much
        # slower right after each outage: a fast sender's backlog takes a while to drain.
        problems = await pipeline.verdict(mongo, timeout_s=240 + commands * 0.9,
                                          tolerated_repeats=1)
        print(f"\n{commands} commands under {len(FAULTS)} faults: "
              f"{dict(pipeline.oracle.summary())}; over HTTP: {dict(pipeline.http_answers)}; "
              f"start {ready - began:.0f} s, requests and "
              f"faults {faulted - ready:.0f} s, settling and checks "
              f"{time.monotonic() - faulted:.0f} s; down and back (s): {pipeline.recoveries}")
        assert not problems, "\n".join(problems[:50])


@pytest.mark.timeout(600)
async def test_100_commands_survive_every_crash_and_outage(services, bootstrap, mongo, run_id):
    await _run_under_faults(services, bootstrap, mongo, run_id, 100)


@pytest.mark.faults_long
@pytest.mark.timeout(1800)
async def test_1000_commands_survive_every_crash_and_outage(services, bootstrap, mongo, run_id):
    await _run_under_faults(services, bootstrap, mongo, run_id, 1000)
