"""The organisation's help-desk contact: every signed-in user reads it (it is who they are
told to ask, also when they have no access to the portal); admins set it."""

from __future__ import annotations

from fastapi import APIRouter, Request

from portal_gateway.domain.helpdesk import HelpdeskContact
from portal_gateway.http.context import gateway_of
from portal_gateway.http.guards import AdminUser, CurrentUser

router = APIRouter(tags=["helpdesk"])


@router.get("/helpdesk")
async def get_helpdesk(caller: CurrentUser, request: Request) -> HelpdeskContact:
    """Who to ask for help; every field empty when the organisation has set none."""
    return await gateway_of(request).stores.helpdesk.contact(caller.org_id) or HelpdeskContact()


@router.get("/admin/helpdesk", tags=["admin"])
async def get_admin_helpdesk(caller: AdminUser, request: Request) -> HelpdeskContact:
    """The contact as users see it (GET /api/v1/helpdesk), for the admin to edit."""
    return await gateway_of(request).stores.helpdesk.contact(caller.org_id) or HelpdeskContact()


@router.put("/admin/helpdesk", tags=["admin"])
async def set_helpdesk(body: HelpdeskContact, caller: AdminUser,
                       request: Request) -> HelpdeskContact:
    """Replace the contact (every field; all empty shows none). A phone of digits, spaces
    and + ( ) - . /, an e-mail address, an https:// web address: else 422 problem+json."""
    gw = gateway_of(request)
    await gw.stores.helpdesk.save(caller.org_id, body, caller.user_id, gw.now())
    return body
