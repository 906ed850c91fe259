"""The server-rendered web portal: same domain and stores as the API, no second API."""

from fastapi import APIRouter

from portal_gateway.web import (
    activity_pages,
    admin_pages,
    device_pages,
    helpdesk_pages,
    import_pages,
    login_pages,
    reservation_pages,
)


def web_router() -> APIRouter:
    router = APIRouter(include_in_schema=False)
    for module in (login_pages, device_pages, admin_pages, import_pages, reservation_pages,
                   helpdesk_pages, activity_pages):
        router.include_router(module.router)
    return router
