"""`/healthz` (alive), `/readyz` (broker and database reachable), `/metrics`, `/peers`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

if TYPE_CHECKING:
    from ssp_runtime.service import Service


def ops_routes(service: Service) -> list[Route]:
    async def healthz(_: Request) -> Response:
        return JSONResponse({"status": "ok", "service": service.name,
                             "instance": service.settings.instance_id})

    async def readyz(_: Request) -> Response:
        checks = await service.readiness()
        ok = all(v == "ok" for v in checks.values())
        return JSONResponse({"status": "ready" if ok else "not ready", "checks": checks},
                            status_code=200 if ok else 503)

    async def metrics(_: Request) -> Response:
        return Response(generate_latest(service.registry), media_type=CONTENT_TYPE_LATEST)

    async def peers(_: Request) -> Response:
        return JSONResponse({"peers": [_jsonable(p) for p in await service.heartbeats.peers()]})

    return [Route("/healthz", healthz), Route("/readyz", readyz), Route("/metrics", metrics),
            Route("/peers", peers)]


def ops_app(service: Service) -> Starlette:
    """The ops endpoints alone, for a listener of their own (the service's lifespan runs on
    the main app), so a user-facing port need not expose /metrics or /peers."""
    return Starlette(routes=ops_routes(service))


def _jsonable(doc: dict[str, object]) -> dict[str, object]:
    return {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in doc.items()}
