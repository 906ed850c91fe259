"""deploy/: the image, the compose file and the Helm chart fit the services.

Without a Docker engine, the compose file is loaded by compose-go, the library `docker compose`
itself loads it with (tools/compose-check); the chart is linted and rendered by helm. `make
test` builds both from the Go module proxy (`make deploy-tools`) and names them in SSP_HELM and
SSP_COMPOSE_CHECK; run by hand without them, those tests are skipped."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest
from ssp_runtime.kafka_acls import PRINCIPALS

yaml = pytest.importorskip("yaml", reason="PyYAML (dev dependency) is needed to read deploy/")

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
CHART = DEPLOY / "helm" / "ssp"
HELM = os.environ.get("SSP_HELM") or shutil.which("helm")
COMPOSE_CHECK = os.environ.get("SSP_COMPOSE_CHECK")
SSP_MODULES = {"portal_gateway", "permission_service", "device_registry", "command_dispatcher"}


def compose() -> dict:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text())


def test_dockerfile_is_multi_stage_non_root_with_healthcheck():
    text = (DEPLOY / "Dockerfile").read_text()
    assert len(re.findall(r"^FROM ", text, re.M)) == 3  # web assets, build, runtime
    assert re.search(r"^USER 10001", text, re.M)
    assert "HEALTHCHECK" in text and "/healthz" in text
    # Every workspace member's manifest is copied before the dependency layer is resolved.
    members = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["uv"]["workspace"]
    for pattern in members["members"]:
        for member in ROOT.glob(pattern):
            assert f"COPY {member.relative_to(ROOT)}/pyproject.toml" in text, member


def test_compose_runs_every_service_and_a_dispatcher_per_family():
    services = compose()["services"]
    commands = {name: s.get("command") for name, s in services.items()}
    modules = {c[0] for c in commands.values() if c and c[0] in SSP_MODULES}
    assert modules == SSP_MODULES
    families = {c[2] for c in commands.values() if c and c[0] == "command_dispatcher"}
    assert families == {"apple", "android", "windows"}
    for module in modules:
        assert importlib.util.find_spec(module) is not None, module
    gateway = services["portal-gateway"]
    assert gateway["environment"]["SSP_OPS_PORT"] == "9000"
    assert gateway["ports"] == ["8000:8000"]  # the ops port stays inside
    assert {"kafka", "mongo", "prometheus", "grafana"} <= set(services)


def test_compose_kafka_authenticates_and_each_service_signs_in_as_its_own_principal():
    services = compose()["services"]
    kafka = services["kafka"]["environment"]
    assert "PLAINTEXT://" not in kafka["KAFKA_LISTENERS"].replace("SASL_PLAINTEXT://", "")
    assert kafka["KAFKA_AUTHORIZER_CLASS_NAME"].endswith("StandardAuthorizer")
    assert kafka["KAFKA_ALLOW_EVERYONE_IF_NO_ACL_FOUND"] == "false"
    for name, service in services.items():
        command = service.get("command") or [""]
        if command[0] in SSP_MODULES:
            env = service["environment"]
            principal = command[0].replace("_", "-")
            assert env["KAFKA_SASL_USERNAME"] == principal, name
            assert principal in PRINCIPALS
            # No password in the file: each comes from the operator's environment.
            assert env["KAFKA_SASL_PASSWORD"].startswith("${KAFKA_"), name
    assert services["kafka-setup"]["command"] == ["ssp_runtime.kafka_acls"]


def test_chart_signs_each_deployment_in_with_its_own_secret():
    values = yaml.safe_load((CHART / "values.yaml").read_text())
    assert values["kafka"]["securityProtocol"] == "SASL_SSL"
    helpers = (CHART / "templates" / "_helpers.tpl").read_text()
    assert "KAFKA_SASL_PASSWORD" in helpers and "secretKeyRef" in helpers
    assert "password" not in {k.lower() for k in values["kafka"]}


def test_compose_prometheus_scrapes_the_compose_services_ops_ports():
    services = compose()["services"]
    config = yaml.safe_load((DEPLOY / "prometheus/prometheus.compose.yml").read_text())
    targets = [t for job in config["scrape_configs"] for sc in job["static_configs"]
               for t in sc["targets"]]
    for target in targets:
        host, port = target.split(":")
        env = services[host]["environment"]
        assert port in (env.get("SSP_OPS_PORT"), env.get("SSP_HTTP_PORT")), target
    assert len(targets) == 6


# The Kafka passwords compose requires and has no default for: what an operator's deploy/.env
# holds (see the top of deploy/compose.yaml).
KAFKA_PASSWORDS = {f"KAFKA_{p}_PASSWORD": f"test-{p.lower()}" for p in (
    "BROKER", "ADMIN", "PERMISSION_SERVICE", "DEVICE_REGISTRY", "COMMAND_DISPATCHER",
    "PORTAL_GATEWAY", "INTEGRATOR")}


def compose_check(path: Path, passwords: bool = True) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("SSP_", "COMPOSE_", "KAFKA_"))}
    if passwords:
        env.update(KAFKA_PASSWORDS)
    return subprocess.run([str(COMPOSE_CHECK), str(path)], capture_output=True, text=True,
                          check=False, env=env)  # the file's own defaults, not this shell's


@pytest.mark.skipif(COMPOSE_CHECK is None, reason="SSP_COMPOSE_CHECK unset: `make test` "
                    "builds tools/compose-check (`make deploy-tools`)")
def test_compose_loader_accepts_the_file_and_resolves_what_it_runs():
    result = compose_check(DEPLOY / "compose.yaml")
    assert result.returncode == 0, result.stderr
    project = json.loads(result.stdout)
    services = project["services"]
    assert {"kafka", "mongo", "prometheus", "grafana", "portal-gateway"} <= set(services)
    gateway = services["portal-gateway"]
    assert gateway["image"] == "ssp:latest"  # ${SSP_IMAGE:-ssp:latest}, interpolated
    assert [(p["published"], p["target"]) for p in gateway["ports"]] == [("8000", 8000)]
    assert gateway["environment"]["SSP_DEMO_MODE"] == "true"


@pytest.mark.skipif(COMPOSE_CHECK is None, reason="SSP_COMPOSE_CHECK unset")
def test_compose_has_no_default_kafka_passwords():
    result = compose_check(DEPLOY / "compose.yaml", passwords=False)
    assert result.returncode != 0 and "see the top of deploy/compose.yaml" in result.stderr
    project = json.loads(compose_check(DEPLOY / "compose.yaml").stdout)
    gateway = project["services"]["portal-gateway"]["environment"]
    assert gateway["KAFKA_SASL_PASSWORD"] == KAFKA_PASSWORDS["KAFKA_PORTAL_GATEWAY_PASSWORD"]


@pytest.mark.skipif(COMPOSE_CHECK is None, reason="SSP_COMPOSE_CHECK unset")
def test_compose_loader_refuses_a_broken_file(tmp_path):
    """The check is no rubber stamp: a service that depends on one that does not exist (which
    `docker compose config` refuses) fails it."""
    broken = compose()
    broken["services"]["portal-gateway"]["depends_on"] = {"no-such-service": {
        "condition": "service_started"}}
    path = tmp_path / "compose.yaml"
    path.write_text(yaml.safe_dump(broken))
    for relative in ("prometheus", "grafana"):  # the files it mounts, where it mounts them
        if (DEPLOY / relative).exists():
            shutil.copytree(DEPLOY / relative, tmp_path / relative)
    result = compose_check(path)
    assert result.returncode != 0 and "no-such-service" in result.stderr


def test_chart_templates_use_only_values_that_exist():
    values = yaml.safe_load((CHART / "values.yaml").read_text())
    for template in (CHART / "templates").iterdir():
        text = template.read_text()
        assert text.count("{{") == text.count("}}"), template.name
        for path in re.findall(r"\.Values((?:\.[A-Za-z_]+)+)", text):
            node = values
            for part in path.strip(".").split("."):
                assert isinstance(node, dict) and part in node, f"{template.name}: {path}"
                node = node[part]


def test_chart_values_name_the_service_modules():
    values = yaml.safe_load((CHART / "values.yaml").read_text())
    assert {s["module"] for s in values["services"]} | {"command_dispatcher"} == SSP_MODULES
    assert {f["name"] for f in values["dispatcher"]["families"]} == {"apple", "android", "windows"}


@pytest.mark.skipif(HELM is None, reason="SSP_HELM unset and no helm on PATH: `make test` "
                    "builds it (`make deploy-tools`)")
def test_chart_lints_and_renders_probes_on_the_ops_ports():
    lint = subprocess.run([HELM, "lint", str(CHART)], capture_output=True, text=True,
                          check=False)
    assert lint.returncode == 0, lint.stdout + lint.stderr
    rendered = subprocess.run([HELM, "template", "rel", str(CHART)],
                              capture_output=True, text=True, check=True).stdout
    docs = [d for d in yaml.safe_load_all(rendered) if d]
    deployments = {d["metadata"]["name"]: d for d in docs if d["kind"] == "Deployment"}
    assert set(deployments) == {f"rel-{n}" for n in (
        "portal-gateway", "permission-service", "device-registry", "dispatcher-apple",
        "dispatcher-android", "dispatcher-windows")}
    for name, deployment in deployments.items():
        container = deployment["spec"]["template"]["spec"]["containers"][0]
        assert container["readinessProbe"]["httpGet"]["path"] == "/readyz", name
        assert container["livenessProbe"]["httpGet"]["path"] == "/healthz", name
        assert container["args"][0] in SSP_MODULES, name
    gateway = deployments["rel-portal-gateway"]["spec"]["template"]["spec"]["containers"][0]
    assert gateway["readinessProbe"]["httpGet"]["port"] == 9000
    kinds = {d["kind"] for d in docs}
    assert {"ConfigMap", "Service", "HorizontalPodAutoscaler"} <= kinds
