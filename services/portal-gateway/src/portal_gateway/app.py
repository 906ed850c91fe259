"""The portal gateway: the web portal and the JSON API in front of the event-driven services."""

from __future__ import annotations

from fastapi import FastAPI

from portal_gateway.settings import SERVICE, Settings
from ssp_runtime.ops_http import ops_routes
from ssp_runtime.service import Service


def build_service(settings: Settings) -> Service:
    return Service(SERVICE, settings, rpc_client=True)


def create_app(settings: Settings | None = None) -> FastAPI:
    service = build_service(settings or Settings())
    app = FastAPI(title="Device self-service portal", version=service.version,
                  lifespan=service.lifespan, docs_url="/docs")
    app.state.service = service
    for route in ops_routes(service):
        app.router.routes.append(route)
    return app
