"""Starting service processes the way production does (`python -m <package>`), for `make run`
and for the cross-service tests."""

from __future__ import annotations

import ctypes
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ssp_devstack.kafka_security import service_env

# Loaded before any fork: the child runs only the prctl call between fork and exec.
_LIBC = ctypes.CDLL(None, use_errno=True) if sys.platform == "linux" else None
_PR_SET_PDEATHSIG = 1


def die_with_parent() -> Callable[[], None] | None:
    """A `preexec_fn` that has the kernel send the child SIGTERM when this process ends,
    however it ends (SIGKILL included): a child in a session of its own gets no signal from a
    closed terminal or from a process manager that signals the launcher's process group.

    PR_SET_PDEATHSIG rather than a watchdog pipe: it works for every program we start (Kafka's
    JVM, FerretDB, Prometheus) without code of theirs reading a pipe. It follows the *thread*
    that forked the child, so only the launcher's main thread starts such processes. Elsewhere
    than Linux it is None and the launcher's signal handlers alone stop its children."""
    if _LIBC is None:
        return None
    libc, parent = _LIBC, os.getpid()

    def preexec() -> None:
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
        if os.getppid() != parent:  # the launcher died before prctl took effect
            os.kill(os.getpid(), signal.SIGTERM)
    return preexec


@dataclass
class ServiceProcess:
    module: str
    port: int
    env: dict[str, str]
    log_path: Path
    args: list[str] = field(default_factory=list)
    proc: subprocess.Popen[bytes] | None = None
    # `make run` ties its services to itself; tests start them from worker threads too.
    die_with_parent: bool = False

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, wait: bool = True, timeout: float = 60.0) -> ServiceProcess:
        env = {**os.environ, **self.env, "SSP_HTTP_PORT": str(self.port)}
        env.update(service_env(env, self.module))  # the service's own Kafka principal
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(  # noqa: S603 - our own interpreter and module
                [sys.executable, "-m", self.module, *self.args], env=env, stdout=log,
                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True,
                preexec_fn=die_with_parent() if self.die_with_parent else None,
            )
        if wait:
            self.wait_ready(timeout)
        return self

    def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(
                    f"{self.module} exited with {self.proc.returncode}:\n{self.tail()}")
            if self.get_json("/readyz") is not None:
                return
            time.sleep(0.2)
        raise TimeoutError(f"{self.module} not ready in {timeout:.0f}s:\n{self.tail()}")

    def get_json(self, path: str) -> dict[str, object] | None:
        try:
            with urllib.request.urlopen(self.url + path, timeout=2) as resp:  # noqa: S310
                return json.loads(resp.read())  # type: ignore[no-any-return]
        except (urllib.error.URLError, ConnectionError, TimeoutError, json.JSONDecodeError):
            return None

    def stop(self, timeout: float = 15.0) -> int | None:
        """SIGTERM (graceful: in-flight work finishes), SIGKILL after `timeout`."""
        return self._signal(signal.SIGTERM, timeout)

    def kill(self) -> int | None:
        """SIGKILL: what a crash or an OOM kill does."""
        return self._signal(signal.SIGKILL, 10.0)

    def wait_exit(self, timeout: float = 30.0) -> int:
        assert self.proc is not None
        return self.proc.wait(timeout)

    def _signal(self, sig: int, timeout: float) -> int | None:
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        os.killpg(self.proc.pid, sig)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            return self.proc.wait(10)

    def tail(self, lines: int = 40) -> str:
        if not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
