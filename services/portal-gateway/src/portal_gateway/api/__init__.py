"""The JSON API under /api/v1."""

from fastapi import APIRouter

from portal_gateway.api import (
    admin_routes,
    command_routes,
    device_routes,
    event_stream,
    helpdesk_routes,
    import_routes,
    passcode_routes,
    reservation_routes,
    session_routes,
)


def api_router() -> APIRouter:
    router = APIRouter(prefix="/api/v1")
    for module in (session_routes, device_routes, command_routes, passcode_routes, event_stream,
                   admin_routes, import_routes, reservation_routes, helpdesk_routes):
        router.include_router(module.router)
    return router
