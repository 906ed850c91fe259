"""`make run`: the whole system on this machine, with demo data, ready to click through.

Starts Kafka and FerretDB (or uses KAFKA_BOOTSTRAP_SERVERS / MONGODB_URL), then every service
on its default port in demo mode, prints where to go, and stops everything it started on Ctrl-C.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path

from ssp_devstack.processes import ServiceProcess
from ssp_devstack.stack import DevstackError, Stack, StackConfig

# (module, port, extra args): the default local ports of the architecture document.
SERVICES: list[tuple[str, int, list[str]]] = [
    ("permission_service", 8001, []),
    ("device_registry", 8002, []),
    ("command_dispatcher", 8003, []),
    ("portal_gateway", 8000, []),
]


def main() -> int:
    stack = Stack(StackConfig.from_env())
    try:
        stack.up()
    except DevstackError as exc:
        print(f"devstack: {exc}", file=sys.stderr)
        return 1
    env = {**stack.client_env(), "SSP_DEMO_MODE": "true", "SSP_LOG_JSON": "false"}
    for key in ("SSP_BOOTSTRAP_ADMIN_USERNAME", "SSP_BOOTSTRAP_ADMIN_PASSWORD"):
        if os.environ.get(key):
            env[key] = os.environ[key]
    logs = Path(os.environ.get("SSP_DEVSTACK_DIR", ".devstack")) / "logs"
    procs: list[ServiceProcess] = []
    stopping = False

    def stop_all(*_: object) -> None:
        nonlocal stopping
        if stopping:
            return
        stopping = True
        print("\nstopping ...", flush=True)
        for proc in reversed(procs):
            proc.stop()
        stack.down()

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        for module, port, args in SERVICES:
            proc = ServiceProcess(module, port, env, logs / f"{module}.log", args)
            procs.append(proc)
            proc.start(wait=True, timeout=90)
            print(f"  {module:20} {proc.url}/healthz  (log: {proc.log_path})", flush=True)
        print(_banner(stack.describe()), flush=True)
        while True:
            for proc in procs:
                if proc.proc is not None and proc.proc.poll() is not None:
                    print(f"{proc.module} exited; last lines:\n{proc.tail()}", file=sys.stderr)
                    return 1
            time.sleep(1)
    except KeyboardInterrupt:
        return 0
    except (RuntimeError, TimeoutError) as exc:
        print(exc, file=sys.stderr)
        return 1
    finally:
        stop_all()


def _banner(stack: str) -> str:
    return f"""
Device self-service portal is running.
  Portal:        http://127.0.0.1:8000/
  API docs:      http://127.0.0.1:8000/docs
  Metrics:       http://127.0.0.1:8000/metrics (and :8001, :8002, :8003)
{stack}
Press Ctrl-C to stop everything.
"""


if __name__ == "__main__":
    sys.exit(main())
