"""Apple dispatch, measured from `ssp.commands.apple` to the simulated device's hands:
a real dispatcher process, a real broker and database, devices enrolled over real HTTP with
signed check-ins, woken through the stand-in APNs.

- latency: commands at a steady rate, time from publish to the device receiving it;
- throughput: one command for each of many devices at once, commands per second until the
  last device has its command.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

from aiokafka import AIOKafkaProducer
from cryptography.fernet import Fernet
from ssp_contracts import Action, CommandAuthorized, CommandParams, ManagementMode, Platform
from ssp_contracts.cloudevents import to_headers, to_value
from ssp_contracts.topics import COMMANDS_APPLE
from ssp_devstack.processes import ServiceProcess, free_port
from ssp_runtime.kafka_auth import kafka_options
from ssp_runtime.sealing import key_from_setting
from ssp_runtime.signing import Signer
from ssp_simulators.apple.fleet import AppleFleet

from ssp_bench.received import wait_received
from ssp_bench.stats import fmt, percentiles

SIGNING_KEY = "SSP_AUTHORIZATION_SIGNING_KEY"


def _lock(device_id: str) -> CommandAuthorized:
    now = datetime.now(UTC)
    return CommandAuthorized(
        org_id="bench", command_id=f"bench-{uuid.uuid4()}", device_id=device_id,
        action=Action.LOCK, params=CommandParams(message="bench"), requested_by="bench",
        requested_at=now, platform=Platform.IOS, management_mode=ManagementMode.IOS_SUPERVISED,
        authorized_at=now)


async def _send(producer: AIOKafkaProducer, cmd: CommandAuthorized) -> float:
    # Signed as the permission-service would (the dispatcher delivers nothing else), with the
    # run's key (`ssp_devstack exec` sets it for the bench and the processes it starts).
    signed = to_headers(cmd, source="bench") | Signer(key_from_setting(
        os.environ[SIGNING_KEY], SIGNING_KEY)).headers(cmd.event_type, to_value(cmd))
    headers = [(k, v.encode()) for k, v in signed.items()]
    sent = time.time()
    await producer.send_and_wait(COMMANDS_APPLE, to_value(cmd), key=cmd.device_id.encode(),
                                 headers=headers)
    return sent


async def measure(bootstrap: str, mongo_url: str, devices: int = 100, rate: float = 20.0,
                  seconds: float = 15.0) -> list[str]:
    port = free_port()
    fleet = AppleFleet(f"http://127.0.0.1:{port}", iphones=devices, macs=0)
    await fleet.start(enroll=False)
    logdir = Path(tempfile.mkdtemp(prefix="ssp-bench-"))
    dispatcher = ServiceProcess("command_dispatcher", free_port(), {
        "KAFKA_BOOTSTRAP_SERVERS": bootstrap, "MONGODB_URL": mongo_url,
        "SSP_MONGODB_DATABASE": f"bench_{uuid.uuid4().hex[:8]}",
        "SSP_DEVICE_HTTP_PORT": str(port), "SSP_APNS_BASE_URL": fleet.apns_url,
        "SSP_SECRET_KEY": Fernet.generate_key().decode(), "SSP_LOG_LEVEL": "WARNING",
    }, logdir / "dispatcher.log")
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all",
                                enable_idempotence=True, **kafka_options())
    lines = []
    try:
        dispatcher.start(timeout=90)
        await fleet.enroll_pending()
        await asyncio.sleep(3)  # let the enrollment inventory queries finish
        await producer.start()

        # Latency at a steady rate, round-robin over the devices.
        sent: dict[str, float] = {}
        interval = 1 / rate
        start = time.monotonic()
        for i in range(int(rate * seconds)):
            cmd = _lock(fleet.devices[i % devices].udid)
            sent[cmd.command_id] = await _send(producer, cmd)
            await asyncio.sleep(max(0.0, start + (i + 1) * interval - time.monotonic()))
        got = await wait_received(fleet, list(sent), timeout_s=60)
        latency = percentiles([(got[c] - sent[c]) * 1000 for c in got])
        lines.append(f"Apple click-to-device (ssp.commands.apple -> device has the command) at "
                     f"{rate:.0f} commands/s over {devices} devices: {fmt(latency)}; "
                     f"{len(sent) - len(got)} not received")
        await asyncio.sleep(2)

        # Throughput: one command for every device at once.
        burst = [_lock(d.udid) for d in fleet.devices]
        t0 = time.time()
        await asyncio.gather(*(_send(producer, c) for c in burst))
        got = await wait_received(fleet, [c.command_id for c in burst], timeout_s=120)
        elapsed = max(got.values()) - t0 if got else float("nan")
        lines.append(f"Apple dispatch throughput: {len(got)} commands to {devices} devices in "
                     f"{elapsed:.2f} s = {len(got) / elapsed:.0f} commands/s "
                     f"(publish -> last device has its command)")
        for line in lines:
            print(line, flush=True)
        return lines
    finally:
        await producer.stop()
        dispatcher.stop()
        await fleet.stop()


def run(bootstrap: str, mongo_url: str) -> list[str]:
    devices = int(os.environ.get("SSP_BENCH_APPLE_DEVICES", "100"))
    return asyncio.run(measure(bootstrap, mongo_url, devices=devices))
