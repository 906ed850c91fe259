"""Running a service process: logging, then uvicorn serving the service's ASGI app."""

from __future__ import annotations

import asyncio
import sys
from typing import Any

import uvicorn

from ssp_runtime.logs import configure_logging
from ssp_runtime.settings import ServiceSettings


def serve(app: Any, settings: ServiceSettings, service: str, default_port: int,
          extra: list[tuple[Any, str, int]] | None = None) -> None:
    """Serve `app` (whose lifespan starts the service) and any `extra` (app, host, port)
    listeners, e.g. device-facing endpoints that must not share the operator's port."""
    configure_logging(service, settings.log_level, settings.log_json)
    main = uvicorn.Server(uvicorn.Config(
        app, host=settings.http_host, port=settings.http_port or default_port,
        log_config=None, access_log=False, lifespan="on", timeout_graceful_shutdown=10,
    ))
    others = [uvicorn.Server(uvicorn.Config(
        extra_app, host=host, port=port, log_config=None, access_log=False, lifespan="off",
        timeout_graceful_shutdown=10)) for extra_app, host, port in extra or []]

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

    asyncio.run(run_all())
    if not main.started:  # start-up failed (broker or database unreachable): say so
        sys.exit(3)
