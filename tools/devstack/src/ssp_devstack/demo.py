"""Demo data for `make run`: simulated devices, linked to the demo users, so a newcomer can log
in and click through at once. Devices come from the platform simulators; the links are made the
way an administrator's manual link is (`LinkRequested` on `ssp.links.requests`)."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from ssp_runtime.kafka_auth import kafka_options

from ssp_devstack.processes import die_with_parent

DEMO_ORG = "demo"
APNS_PORT = 8201


@dataclass
class Simulator:
    name: str
    argv: list[str]
    log: Path
    proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(  # noqa: S603 - our own interpreter and module
                [sys.executable, "-m", *self.argv], stdout=out, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, start_new_session=True, env=os.environ.copy(),
                preexec_fn=die_with_parent())  # only `make run` starts the simulators

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()

    def devices(self) -> list[dict[str, str]]:
        """The JSON device lines the simulator printed."""
        found = []
        for line in self.log.read_text(errors="replace").splitlines() if self.log.exists() else []:
            try:
                entry = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(entry, dict) and "udid" in entry:
                found.append(entry)
        return found


# The Apple fleet's arguments after the server: two supervised iPhones (the first enrolls
# again with a new identity a minute after all enrolled, as a new profile would do: the
# dispatcher accepts it in demo mode, and the registry keeps its owner, as its serial number
# is unchanged), an unsupervised one, a Mac with a logged-in user (user channel), a Mac in
# Power Nap (NotNow to everything but lock and wipe) and an iPhone whose profile has no
# CheckInURL (its check-ins go to the ServerURL).
APPLE_FLEET_ARGS = [
    "--iphones", "2", "--unsupervised-iphones", "1", "--macs", "1", "--power-nap-macs", "1",
    "--server-url-only-iphones", "1", "--reenroll-after", "60", "--seed", "1", "--user-channel"]


def apple_fleet(logs: Path) -> Simulator:
    return Simulator("apple", [
        "ssp_simulators.apple", "--server", "http://127.0.0.1:8100",
        "--apns-port", str(APNS_PORT), *APPLE_FLEET_ARGS], logs / "apple-simulator.log")


AMAPI_PORT = 8210
AMAPI_TOKEN = "ssp-simulator-token"  # noqa: S105 - the stand-in AMAPI token, demo only
AMAPI_ENTERPRISE = "enterprises/LC00ssp0sim"


def android_fleet(logs: Path) -> Simulator:
    return Simulator("android", [
        "ssp_simulators.android", "--port", str(AMAPI_PORT), "--devices", "3",
        "--enterprise", AMAPI_ENTERPRISE, "--token", AMAPI_TOKEN, "--seed", "1"],
        logs / "android-simulator.log")


def windows_fleet(logs: Path) -> Simulator:
    return Simulator("windows", [
        "ssp_simulators.windows", "--server", "http://127.0.0.1:8100", "--devices", "3",
        # the third laptop's user disconnects it: the portal then shows it unenrolled
        "--unenroll-after", "4", "--interval", "5", "--seed", "1"],
        logs / "windows-simulator.log")


def dispatcher_env() -> dict[str, str]:
    """Points the dispatcher at the simulators (stand-in APNs, stand-in AMAPI)."""
    return {"SSP_APNS_BASE_URL": f"http://127.0.0.1:{APNS_PORT}",
            "SSP_AMAPI_BASE_URL": f"http://127.0.0.1:{AMAPI_PORT}/v1",
            "SSP_AMAPI_TOKEN": AMAPI_TOKEN, "SSP_AMAPI_ENTERPRISE": AMAPI_ENTERPRISE,
            "SSP_ANDROID_SYNC_INTERVAL_S": "30"}


# Every third device goes to bob (read access), the rest to alice (full access); carol has
# no self-service permission and admin administers: each sees what the portal says then.
# The Power-Nap Mac and the iPhone without CheckInURL go to alice, outside that count, so the
# other devices keep their owners.
OWNERS = ["alice", "alice", "bob"]
# (The names ssp_simulators.apple.fleet gives them; tests/e2e checks that they agree.)
OWNER_BY_NAME = {"Mac in Power Nap": "alice", "iPhone without CheckInURL": "alice"}
EXPECTED_DEVICES = 12  # 6 Apple + 3 Android + 3 Windows (one unenrolls)


def demo_owners(names: dict[str, str | None]) -> dict[str, str]:
    """The demo user each device goes to, from the devices' ids and names."""
    counted = sorted(d for d, name in names.items() if name not in OWNER_BY_NAME)
    return {d: OWNERS[i % len(OWNERS)] for i, d in enumerate(counted)} | {
        d: OWNER_BY_NAME[name] for d, name in names.items() if name in OWNER_BY_NAME}


async def link_devices(bootstrap: str, expected: int = EXPECTED_DEVICES,
                       timeout_s: float = 90) -> tuple[int, int]:
    """Wait until the registry published the simulated devices, then link each to its demo
    user; returns (devices seen, links requested)."""
    consumer = AIOKafkaConsumer("ssp.devices", bootstrap_servers=bootstrap, group_id=None,
                                auto_offset_reset="earliest", **kafka_options())
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all",
                                enable_idempotence=True, **kafka_options())
    await consumer.start()
    await producer.start()
    try:
        owners: dict[str, str | None] = {}
        names: dict[str, str | None] = {}
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline and len(owners) < expected:
            batches = await consumer.getmany(timeout_ms=500)
            for records in batches.values():
                for r in records:
                    snap = json.loads(r.value) if r.value else None
                    if snap and snap.get("org_id") == DEMO_ORG:
                        owners[snap["device_id"]] = (snap.get("owner") or {}).get("user_id")
                        names[snap["device_id"]] = snap.get("name")
        linked = 0
        for device_id, owner in sorted(demo_owners(names).items()):
            user_id = f"{DEMO_ORG}-{owner}"
            if owners[device_id] == user_id:
                continue
            body = {"org_id": DEMO_ORG, "request_id": str(uuid.uuid4()), "device_id": device_id,
                    "user_id": user_id, "source": "manual", "requested_by": "demo-seed"}
            headers = [("ce_type", b"ssp.link.requested.v1"), ("ce_id", str(uuid.uuid4()).encode()),
                       ("ce_source", b"make-run"), ("ce_specversion", b"1.0"),
                       ("content-type", b"application/json")]
            await producer.send_and_wait("ssp.links.requests", json.dumps(body).encode(),
                                         key=device_id.encode(), headers=headers)
            linked += 1
        return len(owners), linked
    finally:
        await consumer.stop()
        await producer.stop()


def link(bootstrap: str) -> tuple[int, int]:
    return asyncio.run(link_devices(bootstrap))
