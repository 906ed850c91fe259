"""Draw the Grafana dashboards of deploy/grafana/dashboards without Grafana: every panel's
PromQL is asked of a live Prometheus, and the answers are drawn as an HTML page (SVG lines for
time series, numbers for stat panels, rows for tables) laid out by the panels' gridPos. Chromium
(Debian's, through Playwright) turns the page into a PNG.

    python -m ssp_devstack.dashboards --prometheus http://127.0.0.1:9090 --out docs/screenshots

It is a picture of what the queries return, in Grafana's layout; not Grafana's look.
"""

from __future__ import annotations

import argparse
import html
import json
import re
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DASHBOARDS = Path(__file__).resolve().parents[4] / "deploy" / "grafana" / "dashboards"
CHROMIUM = "/usr/bin/chromium"
COLOURS = ["#3274d9", "#56a64b", "#e0b400", "#e02f44", "#8f3bb8", "#ff780a", "#37872d",
           "#1f60c4", "#c4162a", "#a16900"]
ROW_PX, WIDTH_PX, CHART_W, CHART_H = 34, 1400, 520, 190


@dataclass
class Series:
    label: str
    points: list[tuple[float, float]]


class Prometheus:
    def __init__(self, url: str) -> None:
        self.url = url.rstrip("/")

    def _get(self, path: str, **params: str) -> Any:
        query = urllib.parse.urlencode(params)
        with urllib.request.urlopen(f"{self.url}{path}?{query}", timeout=20) as resp:  # noqa: S310
            body = json.loads(resp.read())
        if body.get("status") != "success":
            raise RuntimeError(f"Prometheus refused {params}: {body}")
        return body["data"]

    def range(self, expr: str, start: float, end: float, step: float) -> list[dict[str, Any]]:
        return self._get("/api/v1/query_range", query=expr, start=str(start), end=str(end),
                         step=str(step))["result"]  # type: ignore[no-any-return]

    def instant(self, expr: str, at: float) -> list[dict[str, Any]]:
        return self._get("/api/v1/query", query=expr, time=str(at))["result"]  # type: ignore[no-any-return]


def legend(fmt: str | None, labels: dict[str, str]) -> str:
    if not fmt:
        return ", ".join(f"{k}={v}" for k, v in sorted(labels.items())) or "value"
    return re.sub(r"\{\{\s*(\w+)\s*\}\}", lambda m: labels.get(m.group(1), ""), fmt).strip()


def fmt_value(value: float, unit: str | None) -> str:
    if value != value:  # NaN: a histogram with no observations
        return "-"
    if unit == "percentunit":
        return f"{value * 100:.1f}%"
    if unit == "s":
        return f"{value * 1000:.0f} ms" if abs(value) < 1 else f"{value:.2f} s"
    suffix = {"ops": "/s", "reqps": " req/s"}.get(unit or "", "")
    return (f"{value:.3g}" if abs(value) < 1000 else f"{value:,.0f}") + suffix


def panel_series(prom: Prometheus, panel: dict[str, Any], start: float, end: float,
                 step: float) -> list[Series]:
    found = []
    for target in panel.get("targets", []):
        for result in prom.range(target["expr"], start, end, step):
            points = [(float(t), float(v)) for t, v in result["values"]]
            found.append(Series(legend(target.get("legendFormat"), result["metric"]), points))
    # Largest last value first, as the panels' legends sort: the ten drawn are the top ten.
    return sorted(found, key=lambda s: (_last(s) != _last(s), -_last(s)))  # NaN: last


def _last(series: Series) -> float:
    """The latest value that is a number (NaN: a histogram without observations then)."""
    values = [v for _, v in series.points if v == v]
    return values[-1] if values else float("nan")


def panel_values(prom: Prometheus, panel: dict[str, Any], at: float) -> list[tuple[str, float]]:
    found = []
    for target in panel.get("targets", []):
        for result in prom.instant(target["expr"], at):
            found.append((legend(target.get("legendFormat"), result["metric"]),
                          float(result["value"][1])))
    return sorted(found)


def svg_chart(series: list[Series], unit: str | None, start: float, end: float) -> str:
    values = [v for s in series for _, v in s.points if v == v]
    if not values:
        return '<div class="empty">no data in this window</div>'
    low, high = min(0.0, min(values)), max(values)
    high = high if high > low else low + 1

    def xy(t: float, v: float) -> str:
        x = 40 + (t - start) / (end - start) * (CHART_W - 50)
        y = 10 + (1 - (v - low) / (high - low)) * (CHART_H - 30)
        return f"{x:.1f},{y:.1f}"

    lines = []
    for i, s in enumerate(series[:10]):
        pts = " ".join(xy(t, v) for t, v in s.points if v == v)
        lines.append(f'<polyline fill="none" stroke="{COLOURS[i % len(COLOURS)]}" '
                     f'stroke-width="1.8" points="{pts}"/>')
    axis = (f'<text x="2" y="16">{html.escape(fmt_value(high, unit))}</text>'
            f'<text x="2" y="{CHART_H - 20}">{html.escape(fmt_value(low, unit))}</text>'
            f'<text x="40" y="{CHART_H - 4}">{time.strftime("%H:%M", time.gmtime(start))}</text>'
            f'<text x="{CHART_W - 50}" y="{CHART_H - 4}">'
            f'{time.strftime("%H:%M UTC", time.gmtime(end))}</text>'
            f'<line x1="40" y1="{CHART_H - 20}" x2="{CHART_W - 10}" y2="{CHART_H - 20}" '
            f'stroke="#444"/>')
    keys = "".join(
        f'<span><i style="background:{COLOURS[i % len(COLOURS)]}"></i>{html.escape(s.label)} '
        f'{html.escape(fmt_value(_last(s), unit))}</span>'
        for i, s in enumerate(series[:10]))
    more = f'<span>+{len(series) - 10} more</span>' if len(series) > 10 else ""
    return (f'<svg viewBox="0 0 {CHART_W} {CHART_H}" preserveAspectRatio="none">{axis}'
            f'{"".join(lines)}</svg><div class="keys">{keys}{more}</div>')


def render(board: dict[str, Any], prom: Prometheus, *, minutes: float = 15,
           now: float | None = None) -> str:
    end = now or time.time()
    start = end - minutes * 60
    step = max(5.0, minutes * 60 / 120)
    cells = []
    for panel in board["panels"]:
        pos = panel.get("gridPos", {"x": 0, "y": 0, "w": 12, "h": 8})
        unit = panel.get("fieldConfig", {}).get("defaults", {}).get("unit")
        if panel["type"] == "timeseries":
            body = svg_chart(panel_series(prom, panel, start, end, step), unit, start, end)
        else:  # stat and table: the current values
            rows = panel_values(prom, panel, end)
            body = "".join(f'<div class="stat"><b>{html.escape(fmt_value(v, unit))}</b>'
                           f'<span>{html.escape(label)}</span></div>' for label, v in rows) \
                or '<div class="empty">no data</div>'
            body = f'<div class="{panel["type"]}">{body}</div>'
        cells.append(
            f'<section data-panel="{html.escape(panel["title"])}" style="grid-column:'
            f'{pos["x"] + 1} / span {pos["w"]};grid-row:{pos["y"] + 1} / span {pos["h"]}">'
            f'<h2>{html.escape(panel["title"])}</h2>{body}</section>')
    stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(end))
    return f"""<!doctype html><html><head><meta charset="utf-8">
<title>{html.escape(board["title"])}</title><style>
body{{background:#111217;color:#ccccdc;font:13px sans-serif;margin:16px;width:{WIDTH_PX}px}}
header{{display:flex;justify-content:space-between;margin-bottom:8px}}
h1{{font-size:18px;margin:0}} h2{{font-size:13px;margin:0 0 6px}}
main{{display:grid;grid-template-columns:repeat(24,1fr);grid-auto-rows:{ROW_PX}px;gap:8px}}
section{{background:#181b1f;border:1px solid #2c3235;border-radius:3px;padding:8px;
overflow:hidden}}
svg{{width:100%;height:{CHART_H}px}} svg text{{fill:#8e8e8e;font-size:10px}}
.keys{{display:flex;flex-wrap:wrap;gap:4px 12px;font-size:11px}}
.keys i{{display:inline-block;width:10px;height:3px;margin-right:4px;vertical-align:middle}}
.stat{{display:inline-block;margin:4px 18px 4px 0}} .stat b{{display:block;font-size:26px;
color:#73bf69}} .table .stat{{display:flex;gap:12px;margin:0}} .table .stat b{{font-size:13px;
min-width:60px}} .empty{{color:#6e6e6e;padding-top:40px;text-align:center}}
</style></head><body><header><h1>{html.escape(board["title"])}</h1>
<span>last {minutes:g} min, {stamp}, from Prometheus (drawn by ssp_devstack.dashboards)</span>
</header><main>{"".join(cells)}</main></body></html>"""


def screenshot(pages: dict[str, str], out: Path) -> list[Path]:
    """Each HTML page to out/<name>.png with Debian's Chromium."""
    from playwright.sync_api import sync_playwright

    out.mkdir(parents=True, exist_ok=True)
    written = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM,
                                     args=["--headless", "--no-sandbox", "--disable-gpu"])
        page = browser.new_page(viewport={"width": WIDTH_PX + 32, "height": 900})
        for name, text in pages.items():
            page.set_content(text)
            path = out / f"{name}.png"
            page.screenshot(path=str(path), full_page=True)
            written.append(path)
        browser.close()
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--prometheus", default="http://127.0.0.1:9090")
    parser.add_argument("--out", type=Path, default=Path("docs/screenshots"))
    parser.add_argument("--minutes", type=float, default=15)
    args = parser.parse_args(argv)
    prom = Prometheus(args.prometheus)
    pages = {f"dashboard-{path.stem}": render(json.loads(path.read_text()), prom,
                                              minutes=args.minutes)
             for path in sorted(DASHBOARDS.glob("*.json"))}
    for path in screenshot(pages, args.out):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
