"""A small `make run` for tests/ops/test_launcher.py: the launcher's own supervision
(`ssp_devstack.launcher`) over a real FerretDB started by the devstack, two stand-in services
and Prometheus, each in a session of its own as `make run` starts them. Prints one JSON line
(every child's pid and port) when all of them are up, then watches them like `make run`.

    python -m tests.ops.launched_stack <stack dir>
"""

from __future__ import annotations

import json
import socket
import sys
import time
from pathlib import Path

from ssp_devstack import demo, run
from ssp_devstack.launcher import Launcher
from ssp_devstack.processes import ServiceProcess, free_port
from ssp_devstack.prometheus import Prometheus, binary
from ssp_devstack.stack import Stack, StackConfig


def main(home: Path) -> int:
    # Kafka is left to the JVM-free FerretDB: both are started by the same Stack._spawn.
    stack = Stack(StackConfig.from_env(), die_with_parent=True)
    with Launcher() as launcher:
        launcher.started("ferretdb", stack.down)
        stack.up()
        service = ServiceProcess("http.server", free_port(), {}, home / "service.log",
                                 die_with_parent=True)
        service.args = [str(service.port), "--bind", "127.0.0.1"]
        launcher.started("service", service.stop)
        service.start(wait=False)
        simulator_port = free_port()
        simulator = demo.Simulator("simulator", ["http.server", str(simulator_port), "--bind",
                                                 "127.0.0.1"], home / "simulator.log")
        launcher.started("simulator", simulator.stop)
        simulator.start()
        children = {"ferretdb": (stack.pid("ferretdb"), stack.cfg.mongo_port),
                    "service": (service.proc.pid if service.proc else None, service.port),
                    "simulator": (simulator.proc.pid if simulator.proc else None,
                                  simulator_port)}
        if binary() is not None:
            prometheus = Prometheus(home / "prometheus", free_port(), [],
                                    die_with_parent=True)
            launcher.started("prometheus", prometheus.stop)
            prometheus.start()
            children["prometheus"] = (prometheus.proc.pid if prometheus.proc else None,
                                      prometheus.port)
        for _, port in children.values():
            _wait_listening(port)
        print(json.dumps(children), flush=True)
        return run.watch([service])
    return 0


def _wait_listening(port: int, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise TimeoutError(f"nothing listens on {port}")


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))
