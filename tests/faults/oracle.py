"""The one verdict every fault scenario is judged by.

For each accepted command (its `CommandRequested` written to Kafka, or HTTP 202):

1. it reaches exactly one terminal status on `ssp.commands.status`: never none (lost), never
   two (decided twice);
2. no simulated device carries out a command with side effects twice (by command id where the
   protocol shows it, Apple; by count per device and action where it does not, Android);
3. every acknowledged result reaches the device snapshot on `ssp.devices` (lock -> `locked_at`,
   locate -> `last_location`), and the registry's store, the snapshot topic and the
   permission-service's projection agree on every device's version (the projections converge).

Scenarios feed it what they accepted and where the devices keep their history; it waits (with a
deadline, never a guessed sleep) and returns a list of problems, empty when the run was clean.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime

from pymongo import AsyncMongoClient
from ssp_contracts.commands import CommandStatusChanged
from ssp_contracts.devices import DeviceSnapshot
from ssp_contracts.enums import Action

from tests.support.kafka import Tail, headers_of, json_of

TERMINAL = frozenset({"rejected", "acknowledged", "failed", "expired", "canceled"})
SIDE_EFFECTS = frozenset({Action.LOCK, Action.WIPE, Action.ENABLE_LOST_MODE,
                          Action.DISABLE_LOST_MODE, Action.RESET_PASSCODE})


@dataclass(frozen=True)
class Accepted:
    command_id: str
    device_id: str
    action: Action


@dataclass(frozen=True)
class Execution:
    """One command a simulated device carried out; `command_id` None when the protocol the
    device speaks does not show it (then executions are counted per device and action)."""

    device_id: str
    action: Action
    command_id: str | None = None


@dataclass
class Oracle:
    statuses: Tail  # ssp.commands.status, opened before the first command was accepted
    snapshots: Tail  # ssp.devices, likewise
    accepted: dict[str, Accepted] = field(default_factory=dict)
    _last_terminal_seen: float = 0.0

    def accept(self, command_id: str, device_id: str, action: Action) -> None:
        self.accepted[command_id] = Accepted(command_id, device_id, action)

    # -- reading ------------------------------------------------------------------------------

    def finals(self) -> dict[str, list[dict]]:
        """Command id -> every terminal status record seen for it (distinct by version)."""
        out: dict[str, dict[int, dict]] = {}
        for body in bodies(self.statuses, CommandStatusChanged.event_type):
            if body["command_id"] in self.accepted and body["status"] in TERMINAL:
                out.setdefault(body["command_id"], {})[body["version"]] = body
        return {cid: list(by_version.values()) for cid, by_version in out.items()}

    def latest_snapshots(self) -> dict[str, dict]:
        devices = {a.device_id for a in self.accepted.values()}
        latest: dict[str, dict] = {}
        for body in bodies(self.snapshots, DeviceSnapshot.event_type):
            if body["device_id"] in devices and body["version"] >= latest.get(
                    body["device_id"], {}).get("version", -1):
                latest[body["device_id"]] = body
        return latest

    async def wait_terminal(self, timeout_s: float) -> None:
        """Until every accepted command has a terminal status, or the deadline; then a few more
        polls, so a second terminal status published just behind the first is seen too."""
        deadline = time.monotonic() + timeout_s
        while len(self.finals()) < len(self.accepted) and time.monotonic() < deadline:
            await self.statuses.poll(0.5)
        self._last_terminal_seen = time.monotonic()
        for _ in range(10):
            await self.statuses.poll(0.3)

    # -- judging ------------------------------------------------------------------------------

    def terminal_problems(self) -> list[str]:
        finals = self.finals()
        problems = [f"lost: {a.action.value} {a.command_id} on {a.device_id} has no terminal "
                    f"status (last: {self._last_status(a.command_id)})"
                    for a in self.accepted.values() if a.command_id not in finals]
        problems += [f"decided twice: {cid} -> {[f['status'] for f in found]}"
                     for cid, found in finals.items() if len(found) > 1]
        return problems

    def execution_problems(self, executions: Iterable[Execution],
                           tolerated_repeats: int = 0) -> list[str]:
        """Side-effect commands carried out twice, or acknowledged but never carried out.

        `executions` must cover every device that was sent side-effect commands.
        `tolerated_repeats` allows that many repeats where a protocol can do no better (Apple
        re-sends a command whose answer died with the dispatcher; the scenario says why)."""
        by_id: Counter[str] = Counter()
        by_key: Counter[tuple[str, Action]] = Counter()
        unnamed: Counter[tuple[str, Action]] = Counter()  # where the protocol shows no id
        for ex in executions:
            if ex.action in SIDE_EFFECTS:
                by_key[(ex.device_id, ex.action)] += 1
                if ex.command_id is not None:
                    by_id[ex.command_id] += 1
                else:
                    unnamed[(ex.device_id, ex.action)] += 1
        # Each repeat is named once: by its command id where the device shows it (counting it
        # per device and action too would report one repeat twice), by count where it does not.
        repeated = [f"executed {n} times: {cid}" for cid, n in by_id.items() if n > 1]
        sent = Counter((a.device_id, a.action) for a in self.accepted.values())
        repeated += [f"{action.value} on {device} executed {n} times for {sent[(device, action)]}"
                     f" commands" for (device, action), n in unnamed.items()
                     if n > sent[(device, action)]]
        acknowledged = Counter((self.accepted[cid].device_id, self.accepted[cid].action)
                               for cid, found in self.finals().items()
                               if found[0]["status"] == "acknowledged")
        problems = [f"{action.value} on {device}: {n} acknowledged, {by_key[(device, action)]} "
                    f"executed" for (device, action), n in acknowledged.items()
                    if action in SIDE_EFFECTS and by_key[(device, action)] < n]
        return problems + (repeated if len(repeated) > tolerated_repeats else [])

    def snapshot_problems(self) -> list[str]:
        """What the latest snapshot of each device lacks of the acknowledged results."""
        expected: dict[str, dict[str, datetime]] = {}
        for cid, found in self.finals().items():
            final = found[0]
            if final["status"] != "acknowledged":
                continue
            device = expected.setdefault(self.accepted[cid].device_id, {})
            action = self.accepted[cid].action
            if action is Action.LOCK:
                at = _ms(final["occurred_at"])
                device["locked_at"] = max(at, device.get("locked_at", at))
            elif action is Action.LOCATE and (final.get("result") or {}).get("location"):
                at = _ms(final["result"]["location"]["at"])
                device["last_location"] = max(at, device.get("last_location", at))
        latest = self.latest_snapshots()
        problems = []
        for device_id, wanted in expected.items():
            snap = latest.get(device_id)
            if snap is None:
                problems.append(f"no snapshot of {device_id}")
                continue
            for key, at in wanted.items():
                value = snap.get(key)
                shown = (value or {}).get("at") if key == "last_location" else value
                if shown is None or _ms(shown) != at:
                    problems.append(f"{device_id}: snapshot {key}={shown}, acknowledged {at}")
        return problems

    async def wait_snapshots(self, timeout_s: float) -> list[str]:
        deadline = time.monotonic() + timeout_s
        while (problems := self.snapshot_problems()) and time.monotonic() < deadline:
            await self.snapshots.poll(0.5)
        return problems

    async def projection_problems(self, mongo: AsyncMongoClient, registry_db: str,
                                  permission_db: str, timeout_s: float = 60) -> list[str]:
        """The registry's store, `ssp.devices` and the permission-service's device views hold
        the same version of every device the run touched."""

        async def differences() -> list[str]:
            await self.snapshots.poll(0.3)
            topic = {d: s["version"] for d, s in self.latest_snapshots().items()}
            stored = await _versions(mongo[registry_db]["devices"], topic)
            viewed = await _versions(mongo[permission_db]["device_views"], topic)
            return [f"{d}: registry {stored.get(d)}, topic {v}, permission-service "
                    f"{viewed.get(d)}" for d, v in sorted(topic.items())
                    if not stored.get(d) == v == viewed.get(d)]

        return await _until_empty(differences, timeout_s)

    def _last_status(self, command_id: str) -> str | None:
        last = None
        for body in bodies(self.statuses, CommandStatusChanged.event_type):
            if body["command_id"] == command_id:
                last = body["status"]
        return last

    def last_terminal_at(self) -> float:
        """When (time.monotonic) the test saw the last first-terminal status arrive."""
        return self._last_terminal_seen

    def summary(self) -> Counter[str]:
        return Counter(found[0]["status"] for found in self.finals().values())


def bodies(tail: Tail, event_type: str) -> Iterator[dict]:
    """The records of one contract type (poison and tombstones on the topic are skipped)."""
    for record in tail.seen:
        if record.value is not None and headers_of(record).get("ce_type") == event_type:
            yield json_of(record)


def _ms(text: str) -> datetime:
    """A time as the registry keeps it: BSON dates hold milliseconds."""
    at = datetime.fromisoformat(text)
    return at.replace(microsecond=at.microsecond // 1000 * 1000)


def same_ms(a: str | None, b: str | None) -> bool:
    """Two times from JSON, equal to the millisecond (or both absent)."""
    return a == b if a is None or b is None else _ms(a) == _ms(b)


async def _versions(collection, devices: dict[str, int]) -> dict[str, int]:  # type: ignore[no-untyped-def]
    found = {}
    async for doc in collection.find({"_id": {"$in": list(devices)}}, {"version": 1}):
        found[doc["_id"]] = doc.get("version")
    return found


async def _until_empty(probe: Callable[[], Awaitable[list[str]]], timeout_s: float) -> list[str]:
    deadline = time.monotonic() + timeout_s
    problems = await probe()
    while problems and time.monotonic() < deadline:
        await asyncio.sleep(0.5)
        problems = await probe()
    return problems
