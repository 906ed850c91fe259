"""The monitoring in deploy/ fits the services: every metric a dashboard panel or an alert
rule reads is exported by a real service process, and Prometheus accepts the files."""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import subprocess
import urllib.request
from typing import Any

import pytest
from cryptography.fernet import Fernet
from ssp_devstack import dashboards, run
from ssp_devstack import prometheus as local_prometheus
from ssp_devstack.processes import ServiceProcess, free_port
from ssp_runtime.registration import registered

from tests.ops.monitoring_files import (
    DASHBOARDS,
    DEPLOY,
    dashboard_queries,
    exported,
    queried,
    rule_texts,
)
from tests.support.metrics import samples
from tests.support.waiting import eventually

MODULES = ("permission_service", "device_registry", "command_dispatcher", "portal_gateway")
PROMTOOL = shutil.which("promtool")
NO_PROMTOOL = "promtool not on PATH (Debian: apt-get install prometheus)"


def every_service(services, run_id: str) -> dict[str, ServiceProcess]:
    env = {"command_dispatcher": {"SSP_SECRET_KEY": Fernet.generate_key().decode()},
           "portal_gateway": {"SSP_CONSUMER_GROUP_PREFIX": f"portal-gateway-t{run_id}"}}
    return {module: services(module, SSP_CONSUMER_LAG_INTERVAL_S="1", **env.get(module, {}))
            for module in MODULES}


async def test_every_queried_metric_is_exported(services, run_id):
    names: set[str] = set()
    for proc in every_service(services, run_id).values():
        names |= exported(await asyncio.to_thread(get_text, proc.url + "/metrics"))
    wanted = queried()
    assert len(wanted) > 15, "the regex found too few metrics: is deploy/ there?"
    missing = {name: sorted(files) for name, files in wanted.items() if name not in names}
    assert not missing, f"queried but exported by no service: {missing}"


async def test_consumer_lag_is_measured_per_group_and_partition(services):
    registry = services("device_registry", SSP_CONSUMER_LAG_INTERVAL_S="1")

    async def lag_lines() -> list[str] | None:
        text = await asyncio.to_thread(get_text, registry.url + "/metrics")
        lines = [line for line in text.splitlines() if line.startswith(
            'ssp_consumer_lag{group="device-registry.ssp.devices.reports"')]
        return lines or None

    lines = await eventually(lag_lines, timeout_s=30, what="lag of the registry's groups")
    assert any('partition="0"' in line for line in lines)


async def test_database_round_trips_are_counted_by_command_and_timed(services):
    registry = services("device_registry")

    async def counted() -> dict[str, float] | None:
        found: dict[str, float] = {}
        for labels, n in (await samples(registry.url, "ssp_db_commands_total")).items():
            name = dict(labels)["command"]
            found[name] = found.get(name, 0) + n
        # Its start-up creates indexes; its outbox relay looks for unpublished events.
        return found if found.get("createIndexes") and found.get("find") else None

    commands = await eventually(counted, timeout_s=30, what="the registry's database commands")
    timed = await samples(registry.url, "ssp_db_command_duration_seconds_count")
    answered = {dict(labels)["command"]: n for labels, n in timed.items()}
    assert answered["createIndexes"] >= 1 and answered["find"] >= 1
    assert set(answered) <= set(commands)  # every timed command was counted when sent
    collections = {dict(labels)["collection"] for labels in
                   (await samples(registry.url, "ssp_db_commands_total"))
                   if dict(labels)["command"] == "createIndexes"}
    assert "devices" in collections  # the registry's own collection, named


def test_dashboards_use_the_provisioned_datasource():
    provisioned = (DEPLOY / "grafana/provisioning/datasources/prometheus.yml").read_text()
    assert "uid: ssp-prometheus" in provisioned
    titles = set()
    for path in sorted(DASHBOARDS.glob("*.json")):
        board = json.loads(path.read_text())
        titles.add(board["title"])
        for panel in board["panels"]:
            assert panel["datasource"]["uid"] == "ssp-prometheus", (path.name, panel["title"])
            assert panel["targets"], (path.name, panel["title"])
    assert titles == {"Portal", "Command pipeline", "Kafka health"}
    assert all(dashboard_queries().values())


@pytest.mark.skipif(PROMTOOL is None, reason=NO_PROMTOOL)
@pytest.mark.parametrize("config", ["prometheus.yml", "prometheus.compose.yml"])
def test_promtool_accepts_config_and_rules(config):
    # `check config` also checks the rule files the config names.
    result = subprocess.run([PROMTOOL, "check", "config", config],
                            cwd=DEPLOY / "prometheus", capture_output=True, text=True,
                            check=False)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.skipif(PROMTOOL is None, reason=NO_PROMTOOL)
def test_promtool_accepts_alert_rules():
    rules = sorted(str(p) for p in (DEPLOY / "prometheus/rules").glob("*.yml"))
    result = subprocess.run([PROMTOOL, "check", "rules", *rules],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_make_run_prometheus_config_covers_every_service(tmp_path):
    config = local_prometheus.write_config(tmp_path, [(m, p) for m, p, _ in run.SERVICES])
    body = json.loads(config.read_text().split("\n", 1)[1])
    jobs = {job["job_name"]: job["static_configs"][0]["targets"]
            for job in body["scrape_configs"]}
    assert jobs == {local_prometheus.job_name(package): [f"127.0.0.1:{port}"]
                    for package, port, _ in run.SERVICES}
    assert set(jobs) == set(registered())  # every service of the repository
    service_down = re.search(r'up\{job=~"([^"]+)"\}', rule_texts()["ssp-alerts.yml"])
    assert service_down and set(service_down.group(1).split("|")) == set(jobs)
    assert (tmp_path / "rules" / "ssp-alerts.yml").exists()
    if PROMTOOL is not None:  # make test installs it; also checks the copied rules
        result = subprocess.run([PROMTOOL, "check", "config", str(config)],
                                capture_output=True, text=True, check=False)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "SUCCESS: 1 rule files found" in result.stdout


@pytest.mark.skipif(local_prometheus.binary() is None,
                    reason="prometheus not on PATH (Debian: apt-get install prometheus)")
async def test_make_runs_prometheus_scrapes_every_service(services, run_id, tmp_path):
    procs = every_service(services, run_id)
    prometheus = local_prometheus.Prometheus(
        tmp_path / "prometheus", free_port(), [(m, p.port) for m, p in procs.items()])
    await asyncio.to_thread(prometheus.start)
    try:
        async def all_up() -> dict[str, str] | None:
            health = await asyncio.to_thread(prometheus.targets_health)
            return health if len(health) == len(procs) and set(health.values()) == {"up"} \
                else None
        health = await eventually(all_up, timeout_s=60, what="every target up")
        assert set(health) == set(registered())
        # The link `make run` prints: a page of this Prometheus' own UI (Debian's has only
        # the classic one, under /classic/), listing every job.
        targets_page = await asyncio.to_thread(prometheus.page, "targets")
        assert "/api/" not in targets_page
        page_text = await asyncio.to_thread(get_text, targets_page)
        assert all(job in page_text for job in registered())
        rules: Any = await asyncio.to_thread(prometheus.get_json, "/api/v1/rules")
        loaded = {r["name"] for g in rules["data"]["groups"] for r in g["rules"]}
        assert "SspServiceDown" in loaded and len(loaded) >= 10

        async def drawn() -> str | None:  # the dashboard renderer, on what was scraped
            page = await asyncio.to_thread(
                dashboards.render, json.loads((DASHBOARDS / "portal.json").read_text()),
                dashboards.Prometheus(prometheus.url), minutes=2)
            return page if all(f"<b>1</b><span>{job}</span>" in page
                               for job in registered()) else None
        page = await eventually(drawn, timeout_s=30, what="instances up drawn")
        board = json.loads((DASHBOARDS / "portal.json").read_text())
        assert [p["title"] for p in board["panels"]] == re.findall(r'data-panel="([^"]+)"',
                                                                   page)
        assert page.count("<polyline") >= 1  # the gateway answered scrapes: a request rate
    finally:
        prometheus.stop()


def get_text(url: str) -> str:
    with urllib.request.urlopen(url, timeout=5) as resp:
        return resp.read().decode()
