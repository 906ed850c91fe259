"""`make run` leaves nothing running however it ends: Ctrl-C, SIGTERM or SIGHUP to its whole
process group (a closed terminal, a process manager), or SIGKILL of the launcher alone. Its
children sit in sessions of their own, so no group signal reaches them: the launcher stops
them, or the kernel does when the launcher is killed (PR_SET_PDEATHSIG)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from ssp_devstack.processes import free_port

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="PR_SET_PDEATHSIG is Linux's")


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT, signal.SIGKILL],
                         ids=lambda s: s.name)
def test_nothing_outlives_the_launcher(sig: signal.Signals, tmp_path: Path) -> None:
    env = {**os.environ, "SSP_DEVSTACK_DIR": str(tmp_path),
           "SSP_DEVSTACK_MONGO_PORT": str(free_port()),
           "KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:9"}  # external: only FerretDB is started
    env.pop("MONGODB_URL", None)
    launcher = subprocess.Popen(
        [sys.executable, "-m", "tests.ops.launched_stack", str(tmp_path)], cwd=ROOT, env=env,
        stdout=subprocess.PIPE, stdin=subprocess.DEVNULL, start_new_session=True)
    children: dict[str, list[int]] = {}
    try:
        assert launcher.stdout is not None
        line = launcher.stdout.readline()
        assert line, f"the launcher exited with {launcher.wait(10)} before it was up"
        children = json.loads(line)
        assert {"ferretdb", "service", "simulator"} <= set(children)
        for name, (pid, port) in children.items():
            assert _alive(pid) and not _port_free(port), name
        # Whoever read the launcher's output is gone too (the terminal, `make`): what it
        # prints while stopping must not end its clean-up.
        launcher.stdout.close()
        if sig == signal.SIGKILL:
            os.kill(launcher.pid, sig)  # the launcher alone: its children must notice
        else:
            os.killpg(launcher.pid, sig)
        launcher.wait(60)
        deadline = time.monotonic() + 30
        left = dict(children)
        while left and time.monotonic() < deadline:
            left = {name: (pid, port) for name, (pid, port) in left.items()
                    if _alive(pid) or not _port_free(port)}
            time.sleep(0.2)
        assert not left, f"still running or holding their port after {sig.name}: {left}"
    finally:
        _kill_leftovers(launcher, [pid for pid, _ in children.values()])


def _alive(pid: int) -> bool:
    """Running, and not a zombie waiting for a parent that is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[-1].split()[0] != "Z"


def _port_free(port: int) -> bool:
    """Free for a new server, which sets SO_REUSEADDR: a closed connection's TIME_WAIT on
    the port (an HTTP server closes first) does not hold it."""
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _kill_leftovers(launcher: subprocess.Popen[bytes], children: list[int]) -> None:
    """A failed run must not leave processes behind for the next test."""
    if launcher.poll() is None:
        os.killpg(launcher.pid, signal.SIGKILL)
        launcher.wait(10)
    for pid in children:  # each leads a session (and process group) of its own
        if _alive(pid):
            os.killpg(pid, signal.SIGKILL)
