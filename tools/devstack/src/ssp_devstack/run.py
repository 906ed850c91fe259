"""`make run`: the whole system on this machine, with demo data, ready to click through.

Starts Kafka and FerretDB (or uses KAFKA_BOOTSTRAP_SERVERS / MONGODB_URL), then every service
on its default port in demo mode, Prometheus (Debian's package) scraping them all, prints where
to go, and stops everything it started on Ctrl-C, SIGTERM or SIGHUP (ssp_devstack.launcher).
"""

from __future__ import annotations

import os
import secrets
import sys
import time
from pathlib import Path

from ssp_devstack import demo
from ssp_devstack.launcher import Launcher
from ssp_devstack.processes import ServiceProcess
from ssp_devstack.prometheus import Prometheus
from ssp_devstack.signing_keys import for_service, signing_env
from ssp_devstack.stack import DevstackError, Stack, StackConfig

# (module, port, extra args): the default local ports of the architecture document.
SERVICES: list[tuple[str, int, list[str]]] = [
    ("permission_service", 8001, []),
    ("device_registry", 8002, []),
    ("command_dispatcher", 8003, []),
    ("portal_gateway", 8000, []),
]


def main() -> int:
    # Everything started here dies with this process, even when it is killed outright.
    stack = Stack(StackConfig.from_env(), die_with_parent=True)
    password = os.environ.get("SSP_DEMO_PASSWORD") or secrets.token_urlsafe(9)
    os.environ.update(stack.client_env())  # this process links the demo devices as the admin
    env = {**stack.client_env(), "SSP_DEMO_MODE": "true", "SSP_LOG_JSON": "false",
           "SSP_DEMO_PASSWORD": password, "SSP_DEFAULT_ORG_ID": demo.DEMO_ORG,
           **demo.dispatcher_env()}
    for key in ("SSP_BOOTSTRAP_ADMIN_USERNAME", "SSP_BOOTSTRAP_ADMIN_PASSWORD"):
        if os.environ.get(key):
            env[key] = os.environ[key]
    home = Path(os.environ.get("SSP_DEVSTACK_DIR", ".devstack"))
    logs = home / "logs"
    prometheus = Prometheus(home / "prometheus",
                            int(os.environ.get("SSP_DEVSTACK_PROMETHEUS_PORT", "9090")),
                            [(module, port) for module, port, _ in SERVICES],
                            die_with_parent=True)
    with Launcher() as launcher:
        try:
            launcher.started("kafka and ferretdb", stack.down)
            stack.up()
            procs = []
            keys = signing_env()  # fresh per run; each service gets only its own part
            for module, port, args in SERVICES:
                proc = ServiceProcess(module, port, {**env, **for_service(module, keys)},
                                      logs / f"{module}.log", args, die_with_parent=True)
                procs.append(proc)
                launcher.started(module, proc.stop)
                proc.start(wait=True, timeout=90)
                print(f"  {module:20} {proc.url}/healthz  (log: {proc.log_path})", flush=True)
            launcher.started("prometheus", prometheus.stop)
            try:
                prometheus.start()
                monitoring = f"{prometheus.page('targets')} (every service, alert rules loaded)"
            except (RuntimeError, TimeoutError) as exc:  # the portal runs without it
                monitoring = f"not started: {exc}"
            print(f"  {'prometheus':20} {monitoring}", flush=True)
            for sim in (demo.apple_fleet(logs), demo.android_fleet(logs),
                        demo.windows_fleet(logs)):
                launcher.started(f"{sim.name} simulator", sim.stop)
                sim.start()
            seen, linked = demo.link(env["KAFKA_BOOTSTRAP_SERVERS"])
            print(f"  {seen} simulated devices, {linked} newly linked to demo users", flush=True)
            print(_banner(stack.describe(), password, monitoring), flush=True)
            return watch(procs)
        except DevstackError as exc:
            print(f"devstack: {exc}", file=sys.stderr)
            return 1
        except (RuntimeError, TimeoutError) as exc:
            print(exc, file=sys.stderr)
            return 1
    return 0  # stopped by Ctrl-C, SIGTERM or SIGHUP


def watch(procs: list[ServiceProcess]) -> int:
    """Until a signal ends the launcher: a service that exits ends it too."""
    while True:
        for proc in procs:
            if proc.proc is not None and proc.proc.poll() is not None:
                print(f"{proc.module} exited; last lines:\n{proc.tail()}", file=sys.stderr)
                return 1
        time.sleep(1)


def _banner(stack: str, password: str, monitoring: str) -> str:
    return f"""
Device self-service portal is running (demo mode).
  Portal:        http://127.0.0.1:8000/
  API docs:      http://127.0.0.1:8000/docs
  Metrics:       http://127.0.0.1:8000/metrics (and :8001, :8002, :8003)
  Prometheus:    {monitoring}
  Demo logins (organisation "{demo.DEMO_ORG}", password for all: {password}):
    alice  full access (most devices)   bob    read access (every third device)
    carol  no self-service permission   admin  administrator, no device
{stack}
Press Ctrl-C to stop everything.
"""


if __name__ == "__main__":
    sys.exit(main())
