"""Percentiles and the machine line every figure is reported with."""

from __future__ import annotations

import os
import platform
import statistics


def percentiles(samples_ms: list[float]) -> dict[str, float]:
    ordered = sorted(samples_ms)
    if not ordered:
        return {"n": 0, "p50": float("nan"), "p95": float("nan"), "p99": float("nan"),
                "max": float("nan"), "mean": float("nan")}

    def at(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    return {"n": len(ordered), "p50": at(0.50), "p95": at(0.95), "p99": at(0.99),
            "max": ordered[-1], "mean": statistics.fmean(ordered)}


def machine() -> str:
    return (f"{platform.machine()}, {os.cpu_count()} cores, Python "
            f"{platform.python_version()}, {platform.system()} {platform.release()}")


def fmt(p: dict[str, float]) -> str:
    return (f"n={p['n']:.0f} p50={p['p50']:.1f} ms p95={p['p95']:.1f} ms "
            f"p99={p['p99']:.1f} ms max={p['max']:.1f} ms")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far (Linux /proc). On a machine shared
    with other work, CPU per operation is steadier than operations per second."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def peak_rss_mb(pid: int) -> float:
    """The most resident memory a process has held so far (Linux VmHWM), in MiB."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")
