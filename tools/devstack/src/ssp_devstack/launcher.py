"""What `make run` started, stopped once and in reverse order however the launcher ends.

Every process `make run` starts sits in a session of its own (a Ctrl-C in the terminal must
not hit Kafka mid-write), so no signal to the launcher's process group reaches them: the
launcher stops them itself on SIGINT, SIGTERM and SIGHUP (a closed terminal, a process
manager), and the kernel stops them when the launcher is killed outright
(`processes.die_with_parent`).
"""

from __future__ import annotations

import signal
from collections.abc import Callable
from types import FrameType, TracebackType

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class Stopped(BaseException):  # a request, like KeyboardInterrupt
    """A stop signal arrived; unwinds the launcher's main loop into its clean-up."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


class Launcher:
    def __init__(self) -> None:
        self._stops: list[tuple[str, Callable[[], object]]] = []
        self._stopped = False

    def started(self, name: str, stop: Callable[[], object]) -> None:
        """Registers how to stop something just started; the last started stops first."""
        self._stops.append((name, stop))

    def __enter__(self) -> Launcher:
        for sig in STOP_SIGNALS:
            signal.signal(sig, self._on_signal)
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> bool:
        self.stop_all()
        return isinstance(exc, Stopped | KeyboardInterrupt)

    def stop_all(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        # A signal repeated (Ctrl-C reaches us from the terminal and again from `uv run`; a
        # process manager may send SIGTERM twice) must not abort the clean-up half way.
        for sig in STOP_SIGNALS:
            signal.signal(sig, signal.SIG_IGN)
        _say("\nstopping ...")
        for name, stop in reversed(self._stops):
            try:
                stop()
            except Exception as exc:  # the others must still be stopped
                _say(f"could not stop {name}: {exc}")

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        raise Stopped(signum)


def _say(text: str) -> None:
    """Prints if anyone still reads: after a closed terminal or a dead `make`, stdout is gone
    and a failed print must not end the clean-up."""
    try:
        print(text, flush=True)
    except (OSError, ValueError):
        pass
