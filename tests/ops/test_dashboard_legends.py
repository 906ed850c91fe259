"""Dashboard legends stay readable: panels whose series multiply with routes, topics or
commands ask for their top k, and the pictures draw the largest series first."""

from __future__ import annotations

import json
import re

from ssp_devstack import dashboards

from tests.ops.monitoring_files import DASHBOARDS

MANY = {"route", "topic", "command", "reason_code", "reason"}  # labels that multiply


def test_panels_by_route_topic_or_command_ask_for_their_top_series():
    for path in DASHBOARDS.glob("*.json"):
        for panel in json.loads(path.read_text())["panels"]:
            if panel["type"] != "timeseries":
                continue
            for target in panel["targets"]:
                outer = re.search(r"by \(([^)]*)\)", target["expr"])  # the first grouping
                if outer and MANY & {label.strip() for label in outer.group(1).split(",")}:
                    assert target["expr"].startswith("topk("), (path.name, panel["title"])
                    assert panel["options"]["legend"]["sortDesc"] is True, panel["title"]


class TwelveSeries:
    """A Prometheus that answers every range query with twelve series of rising size."""

    def range(self, expr: str, start: float, end: float, step: float) -> list[dict]:
        return [{"metric": {"route": f"/r{i}"}, "values": [[start, "1"], [end, str(i)]]}
                for i in range(12)]


def test_the_picture_lists_the_largest_series_first_and_counts_the_rest():
    board = {"title": "t", "panels": [{"type": "timeseries", "title": "p", "targets": [
        {"expr": "x", "legendFormat": "{{route}}"}]}]}
    page = dashboards.render(board, TwelveSeries(), minutes=1,  # type: ignore[arg-type]
                             now=1_800_000_000)
    keys = re.findall(r"</i>(/r\d+) ", page)
    assert keys == [f"/r{i}" for i in range(11, 1, -1)]  # the top ten, largest first
    assert "+2 more" in page
