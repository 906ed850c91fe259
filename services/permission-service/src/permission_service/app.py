"""The permission-service: what it consumes, what it produces, what it serves."""

from __future__ import annotations

from starlette.applications import Starlette

from permission_service.settings import SERVICE, Settings
from ssp_runtime.service import Service


def build_service(settings: Settings) -> Service:
    service = Service(SERVICE, settings)
    return service


def create_app(settings: Settings | None = None) -> Starlette:
    return build_service(settings or Settings()).asgi()
