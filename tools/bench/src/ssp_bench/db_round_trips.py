"""Database round trips per portal command, counted, not estimated: every service counts the
commands its driver sends (`ssp_db_commands_total`, PyMongo command monitoring). Read before
and after a run, minus what each service sends while idle (outbox polls, sweeps, heartbeats),
divided by the commands accepted."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping

import httpx
from prometheus_client.parser import text_string_to_metric_families
from ssp_devstack.processes import ServiceProcess

SERIES = "ssp_db_commands_total"


async def by_command(procs: Mapping[str, ServiceProcess]) -> dict[str, dict[str, float]]:
    """Module -> "command collection" (e.g. "find commands") -> commands sent so far."""
    out: dict[str, dict[str, float]] = {}
    async with httpx.AsyncClient(timeout=10) as http:
        for module, proc in procs.items():
            text = (await http.get(f"{proc.url}/metrics")).text
            named: dict[str, float] = {}
            for family in text_string_to_metric_families(text):
                for sample in family.samples:
                    if sample.name == SERIES:
                        key = f"{sample.labels['command']} {sample.labels['collection']}"
                        named[key] = named.get(key, 0.0) + sample.value
            out[module] = named
    return out


async def counts(procs: Mapping[str, ServiceProcess]) -> dict[str, float]:
    """Module -> database commands sent so far."""
    return {module: sum(names.values()) for module, names in (await by_command(procs)).items()}


class RoundTrips:
    """Usage: `idle = await RoundTrips.idle(procs)`, `await idle.start()`, the run,
    `await idle.settle()`, then `idle.per_command(n)`."""

    def __init__(self, procs: Mapping[str, ServiceProcess], idle_rate: dict[str, float]) -> None:
        self.procs = procs
        self.idle_rate = idle_rate  # commands/s each service sends with nothing to do
        self.before: dict[str, float] = {}
        self.after: dict[str, float] = {}
        self.named_before: dict[str, dict[str, float]] = {}
        self.named_after: dict[str, dict[str, float]] = {}
        self.began = self.ended = 0.0

    @classmethod
    async def idle(cls, procs: Mapping[str, ServiceProcess], seconds: float = 5.0,
                   ) -> RoundTrips:
        first, t0 = await counts(procs), time.monotonic()
        await asyncio.sleep(seconds)
        last, t1 = await counts(procs), time.monotonic()
        return cls(procs, {m: (last[m] - first[m]) / (t1 - t0) for m in procs})

    async def start(self) -> None:
        self.named_before = await by_command(self.procs)
        self.before, self.began = await counts(self.procs), time.monotonic()

    async def settle(self, timeout_s: float = 90.0) -> None:
        """Until every service is back to its idle rate for two seconds in a row (the run's
        last answers folded and projected), or the timeout."""
        deadline = time.monotonic() + timeout_s
        quiet = 0
        last, at = await counts(self.procs), time.monotonic()
        while quiet < 2 and time.monotonic() < deadline:
            await asyncio.sleep(1.0)
            now, t = await counts(self.procs), time.monotonic()
            busy = any(now[m] - last[m] > 1.5 * self.idle_rate[m] * (t - at) + 2
                       for m in self.procs)
            quiet = 0 if busy else quiet + 1
            last, at = now, t
        self.after, self.ended = last, at
        self.named_after = await by_command(self.procs)

    def per_command(self, commands: int) -> dict[str, float]:
        spent = self.ended - self.began
        return {m: (self.after[m] - self.before[m] - self.idle_rate[m] * spent) / commands
                for m in self.procs}

    def top(self, module: str, commands: int, n: int = 4) -> str:
        """The database commands a service sent most during the run, per accepted command
        (idle traffic not subtracted here)."""
        before, after = self.named_before[module], self.named_after[module]
        spent = sorted(((after[c] - before.get(c, 0.0), c) for c in after), reverse=True)
        return ", ".join(f"{c} {d / commands:.1f}" for d, c in spent[:n] if d > 0)

    def line(self, commands: int, where: str) -> str:
        per = self.per_command(commands)
        parts = ", ".join(f"{m} {n:.1f} ({self.top(m, commands)})" for m, n in per.items())
        idle = ", ".join(f"{m} {r:.1f}/s" for m, r in self.idle_rate.items())
        return (f"database round trips per accepted command ({where}; counted by "
                f"{SERIES}, idle traffic subtracted: {idle}): {parts}; "
                f"total {sum(per.values()):.1f}")
