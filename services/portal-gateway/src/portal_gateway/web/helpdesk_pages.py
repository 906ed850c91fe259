"""Admin page for the organisation's help-desk contact (shown to people who are told to ask
their administrator)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from pydantic import ValidationError
from starlette.responses import RedirectResponse, Response

from portal_gateway.domain.errors import FieldProblem, ValidationFailed
from portal_gateway.domain.helpdesk import HelpdeskContact
from portal_gateway.http.context import gateway_of
from portal_gateway.http.guards import AdminUser
from portal_gateway.web.rendering import error_text, render

router = APIRouter(prefix="/admin/helpdesk")


@router.get("")
async def helpdesk_page(caller: AdminUser, request: Request) -> Response:
    contact = await gateway_of(request).stores.helpdesk.contact(caller.org_id)
    return render(request, "admin_helpdesk.html", {"form": contact or HelpdeskContact()})


@router.post("")
async def save_helpdesk(caller: AdminUser, request: Request,
                        name: Annotated[str, Form(max_length=100)] = "",
                        phone: Annotated[str, Form(max_length=40)] = "",
                        email: Annotated[str, Form(max_length=254)] = "",
                        web: Annotated[str, Form(max_length=300)] = "") -> Response:
    gw = gateway_of(request)
    given = {"name": name, "phone": phone, "email": email, "web": web}
    try:
        contact = HelpdeskContact.model_validate(given)
    except ValidationError as exc:
        fields = [(str(e["loc"][0]), e["msg"]) for e in exc.errors()]
        error = ValidationFailed([FieldProblem(f, f"helpdesk.{f}", why) for f, why in fields])
        return render(request, "admin_helpdesk.html", {
            "form": given, "error": error_text(request, error),
            "invalid": {p.field for p in error.problems}}, error.status)
    await gw.stores.helpdesk.save(caller.org_id, contact, caller.user_id, gw.now())
    return RedirectResponse("/admin/helpdesk?notice=saved", status_code=303)
