"""Running a service process: logging, then uvicorn serving the service's ASGI app."""

from __future__ import annotations

import asyncio
import sys
from typing import Any

import uvicorn

from ssp_runtime.logs import configure_logging
from ssp_runtime.settings import ServiceSettings


def serve(app: Any, settings: ServiceSettings, service: str, default_port: int) -> None:
    configure_logging(service, settings.log_level, settings.log_json)
    config = uvicorn.Config(
        app, host=settings.http_host, port=settings.http_port or default_port,
        log_config=None, access_log=False, lifespan="on", timeout_graceful_shutdown=10,
    )
    server = uvicorn.Server(config)
    asyncio.run(server.serve())
    if not server.started:  # start-up failed (broker or database unreachable): say so
        sys.exit(3)
