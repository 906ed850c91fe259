"""Running a service process: logging, then uvicorn serving the service's ASGI app."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import uvicorn

from ssp_runtime.logs import configure_logging
from ssp_runtime.settings import ServiceSettings


def serve(app: Any, settings: ServiceSettings, service: str, default_port: int,
          extra: list[tuple[Any, str, int]] | None = None) -> None:
    """Serve `app` (whose lifespan starts the service) and any `extra` (app, host, port)
    listeners, e.g. device-facing endpoints that must not share the operator's port.

    `proxy_headers=False` everywhere: uvicorn would otherwise take X-Forwarded-For from any
    loopback peer as the client's address, and a local sender could pick its own. Each service
    decides which proxies it believes (the gateway's `SSP_TRUSTED_PROXIES`)."""
    configure_logging(service, settings.log_level, settings.log_json)
    others: list[uvicorn.Server] = []
    main = uvicorn.Server(uvicorn.Config(
        ReadyWhenListening(app, lambda: all(server.started for server in others)),
        host=settings.http_host, port=settings.http_port or default_port,
        log_config=None, access_log=False, lifespan="on", timeout_graceful_shutdown=10,
        proxy_headers=False,
    ))
    others.extend(uvicorn.Server(uvicorn.Config(
        extra_app, host=host, port=port, log_config=None, access_log=False, lifespan="off",
        timeout_graceful_shutdown=10, proxy_headers=False))
        for extra_app, host, port in extra or [])

    async def run_all() -> None:
        main_task = asyncio.create_task(main.serve())
        while not main.started and not main_task.done():  # noqa: ASYNC110 - uvicorn has no event
            await asyncio.sleep(0.05)
        if main_task.done():
            return
        other_tasks = [asyncio.create_task(server.serve()) for server in others]
        await main_task  # a signal stops the main server; the others follow
        for server in others:
            server.should_exit = True
        await asyncio.gather(*other_tasks, return_exceptions=True)

    with asyncio.Runner(loop_factory=loop_factory(settings.event_loop)) as runner:
        runner.run(run_all())
    if not main.started:  # start-up failed (broker or database unreachable): say so
        sys.exit(3)


def loop_factory(choice: str) -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop's loop when asked for or (auto) installed; None is asyncio's default."""
    if choice == "asyncio":
        return None
    try:
        import uvloop  # optional: not built for every platform
    except ImportError:
        if choice == "uvloop":
            raise
        return None
    return uvloop.new_event_loop


Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]


class ReadyWhenListening:
    """`/readyz` answers 503 until every extra listener accepts connections: the extras start
    once the main app's lifespan has run, and a device that connects in between would be
    refused by a service that already said it was ready."""

    def __init__(self, app: Any, listening: Callable[[], bool]) -> None:
        self.app = app
        self.listening = listening

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == "/readyz" and not self.listening():
            body = json.dumps({"status": "not ready",
                               "checks": {"listeners": "starting"}}).encode()
            await send({"type": "http.response.start", "status": 503,
                        "headers": [(b"content-type", b"application/json"),
                                    (b"content-length", str(len(body)).encode())]})
            await send({"type": "http.response.body", "body": body})
            return
        await self.app(scope, receive, send)
