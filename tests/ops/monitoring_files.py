"""What the monitoring files in deploy/ query: metric names out of PromQL, by a regex.

A full PromQL parser is not needed to know which series a query reads: every metric of this
system starts with one of a few prefixes, and label names, functions and keywords never do.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
DASHBOARDS = DEPLOY / "grafana" / "dashboards"
RULES = DEPLOY / "prometheus" / "rules"
METRIC = re.compile(r"(?<![A-Za-z0-9_])((?:ssp|faststream|process|python)_[a-z0-9_]+)")
# Counters are exposed as <name>_total, histograms as <name>_bucket/_sum/_count.
SUFFIXES = ("_total", "_bucket", "_sum", "_count", "_created")


def base_name(name: str) -> str:
    for suffix in SUFFIXES:
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


def metric_names(text: str) -> set[str]:
    return {base_name(m) for m in METRIC.findall(text)}


def dashboard_queries() -> dict[str, list[str]]:
    """Dashboard file -> the PromQL of every panel target."""
    found: dict[str, list[str]] = {}
    for path in sorted(DASHBOARDS.glob("*.json")):
        board = json.loads(path.read_text())
        found[path.name] = [t["expr"] for p in _panels(board) for t in p.get("targets", [])]
    return found


def rule_texts() -> dict[str, str]:
    """Whole rule files: metric names in annotations must exist as much as in `expr`."""
    return {p.name: p.read_text() for p in sorted(RULES.glob("*.yml"))}


def queried() -> dict[str, set[str]]:
    """Metric base name -> the files that use it."""
    users: dict[str, set[str]] = {}
    for name, exprs in dashboard_queries().items():
        for metric in metric_names("\n".join(exprs)):
            users.setdefault(metric, set()).add(name)
    for name, text in rule_texts().items():
        for metric in metric_names(text):
            users.setdefault(metric, set()).add(name)
    return users


def exported(exposition: str) -> set[str]:
    """Base names in a /metrics text: the TYPE lines list every family, even one without
    samples yet (a labelled counter nothing has incremented)."""
    names = set()
    for line in exposition.splitlines():
        if line.startswith("# TYPE "):
            names.add(base_name(line.split()[2]))
        elif line and not line.startswith("#"):
            names.add(base_name(re.split(r"[{ ]", line, maxsplit=1)[0]))
    return names


def _panels(board: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for panel in board.get("panels", []):
        out.append(panel)
        out.extend(panel.get("panels", []))  # collapsed rows hold their own panels
    return out
