"""Admin page for enrollment reservations: the list, a form to add one, delete buttons."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Form, Request
from pydantic import ValidationError
from starlette.responses import RedirectResponse, Response

from portal_gateway.domain.access import Caller
from portal_gateway.domain.errors import FieldProblem, PortalError, ValidationFailed
from portal_gateway.http.context import gateway_of
from portal_gateway.http.guards import AdminUser
from portal_gateway.http.resources import EntityIdPath
from portal_gateway.reservation_requests import ReservationCreate
from portal_gateway.web.rendering import error_text, render

router = APIRouter(prefix="/admin/reservations")
KINDS = ("serial_number", "imei", "enrollment_token")


async def _page(request: Request, caller: Caller, error: PortalError | None = None) -> Response:
    try:
        rows = (await gateway_of(request).reservations.forward(caller, "list")).reservations
    except PortalError as exc:
        rows, error = [], error or exc
    return render(request, "admin_reservations.html", {
        "rows": rows, "kinds": KINDS, "error": error_text(request, error) if error else None},
        error.status if error else 200)


def _expiry(value: str) -> datetime | None:
    """The form's datetime-local field, taken as UTC (the page says so)."""
    if not value.strip():
        return None
    try:
        return datetime.fromisoformat(value.strip()).replace(tzinfo=UTC)
    except ValueError:
        raise ValidationFailed([FieldProblem("expires_at", "invalid.datetime",
                                             "Give a date and time.")]) from None


@router.get("")
async def reservations_page(caller: AdminUser, request: Request) -> Response:
    return await _page(request, caller)


@router.post("")
async def create_reservation(caller: AdminUser, request: Request,
                             kind: Annotated[str, Form(max_length=30)],
                             value: Annotated[str, Form(max_length=256)],
                             username: Annotated[str, Form(max_length=254)],
                             expires_at: Annotated[str, Form(max_length=40)] = "") -> Response:
    try:
        try:
            body = ReservationCreate.model_validate({
                "kind": kind, "value": value.strip(), "username": username.strip(),
                "expires_at": _expiry(expires_at)})
        except ValidationError as exc:
            raise ValidationFailed([FieldProblem(str(e["loc"][0]), "invalid", e["msg"])
                                    for e in exc.errors()]) from None
        await gateway_of(request).reservations.forward(caller, "create", **body.model_dump())
    except PortalError as exc:
        return await _page(request, caller, exc)
    return RedirectResponse("/admin/reservations?notice=saved", status_code=303)


@router.post("/{reservation_id}/delete")
async def delete_reservation(reservation_id: EntityIdPath,
                             caller: AdminUser, request: Request) -> Response:
    try:
        await gateway_of(request).reservations.forward(caller, "delete",
                                                       reservation_id=reservation_id)
    except PortalError as exc:
        return await _page(request, caller, exc)
    return RedirectResponse("/admin/reservations?notice=deleted", status_code=303)
