"""In-process pub/sub of device and command changes, keyed by user id, for the SSE stream.

Fed by `live_feed`, which reads every partition in each instance, so a change processed
anywhere reaches the streams of every instance.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

QUEUE_SIZE = 100


@dataclass(frozen=True)
class LiveUpdate:
    kind: str  # "device", "device_removed", "command"
    data: dict[str, Any]


class LiveUpdates:
    def __init__(self) -> None:
        self._listeners: dict[str, set[asyncio.Queue[LiveUpdate]]] = {}

    @contextlib.contextmanager
    def listen(self, user_id: str) -> Iterator[asyncio.Queue[LiveUpdate]]:
        queue: asyncio.Queue[LiveUpdate] = asyncio.Queue(QUEUE_SIZE)
        self._listeners.setdefault(user_id, set()).add(queue)
        try:
            yield queue
        finally:
            listeners = self._listeners.get(user_id, set())
            listeners.discard(queue)
            if not listeners:
                self._listeners.pop(user_id, None)

    def notify(self, user_id: str | None, update: LiveUpdate) -> None:
        for queue in self._listeners.get(user_id or "", ()):
            with contextlib.suppress(asyncio.QueueFull):  # a stuck browser loses updates only
                queue.put_nowait(update)

    @property
    def anyone_listening(self) -> bool:
        """Lets handlers skip look-ups made only to notify (a replay at start-up has nobody)."""
        return bool(self._listeners)
