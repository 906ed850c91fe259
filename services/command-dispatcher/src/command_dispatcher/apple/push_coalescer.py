"""Per-device push coalescing: pushes asked for while one is in flight become one follow-up.

A push only wakes the device; one push after the last enqueue is enough, so N requests during
an in-flight push collapse into a single follow-up that carries the newest target.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from typing import Generic, TypeVar

from command_dispatcher.apple.push import PushResult

T = TypeVar("T")


@dataclass
class _Pending(Generic[T]):
    target: T
    done: asyncio.Future[PushResult]


class PushCoalescer(Generic[T]):
    def __init__(self, send: Callable[[T], Awaitable[PushResult]]) -> None:
        self._send = send
        self._follow_ups: dict[Hashable, _Pending[T] | None] = {}  # key present = in flight
        self._tasks: set[asyncio.Task[None]] = set()

    def request(self, key: Hashable, target: T) -> asyncio.Future[PushResult]:
        """Ask for a push to `key`; the future resolves with the push that covers this request."""
        loop = asyncio.get_running_loop()
        if key in self._follow_ups:
            follow_up = self._follow_ups[key]
            done = follow_up.done if follow_up else loop.create_future()
            self._follow_ups[key] = _Pending(target, done)  # newest token/PushMagic wins
            return done
        first = _Pending(target, loop.create_future())
        self._follow_ups[key] = None
        task = loop.create_task(self._drain(key, first))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return first.done

    async def push(self, key: Hashable, target: T) -> PushResult:
        return await self.request(key, target)

    def in_flight(self, key: Hashable) -> bool:
        return key in self._follow_ups

    async def _drain(self, key: Hashable, pending: _Pending[T]) -> None:
        while True:
            try:
                pending.done.set_result(await self._send(pending.target))
            except asyncio.CancelledError:
                self._cancel(key, pending)
                raise
            except Exception as exc:  # the caller of request() decides what a failure means
                pending.done.set_exception(exc)
            follow_up = self._follow_ups.get(key)
            if follow_up is None:
                del self._follow_ups[key]
                return
            self._follow_ups[key] = None
            pending = follow_up

    def _cancel(self, key: Hashable, pending: _Pending[T]) -> None:
        follow_up = self._follow_ups.pop(key, None)
        for waiting in (pending, follow_up):
            if waiting is not None and not waiting.done.done():
                waiting.done.cancel()

    async def aclose(self) -> None:
        """Wait for every push already started or promised."""
        while self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
