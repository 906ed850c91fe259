"""My devices, one device, and running an action from its page."""

from __future__ import annotations

import json
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from ssp_contracts.devices import DeviceSnapshot
from ssp_contracts.enums import Action, CommandStatus
from ssp_contracts.policy import needs_pin
from starlette.responses import RedirectResponse, Response

from portal_gateway.command_reads import cancel_offered, device_history, own_command
from portal_gateway.domain.access import Caller, portal_access
from portal_gateway.domain.actions import action_availability
from portal_gateway.domain.confirmations import CONFIRMED_ACTIONS
from portal_gateway.domain.device_view import device_public
from portal_gateway.domain.errors import NotAuthenticated, NotFound, PortalError
from portal_gateway.domain.sessions import is_freshly_authenticated
from portal_gateway.http.context import gateway_of
from portal_gateway.http.cookies import set_session_cookie
from portal_gateway.http.guards import CurrentUser, PortalUser
from portal_gateway.http.resources import EntityIdPath, OwnedDevice
from portal_gateway.web.i18n import reason_text, translator
from portal_gateway.web.page_actions import ActionForm, run_page_action, step_up_for
from portal_gateway.web.rendering import error_text, page_locale, render

router = APIRouter()

# Actions an org grants on purpose (no built-in template holds them): a user without the
# permission is not told about the action at all, rather than that they may not use it.
OPT_IN_ACTIONS = frozenset({Action.RETIRE})


@router.get("/devices")
async def devices_page(caller: CurrentUser, request: Request) -> Response:
    stores = gateway_of(request).stores
    devices = await stores.devices.owned_devices(caller)
    access = portal_access(caller.permissions, len(devices))
    return render(request, "devices.html", {
        "labels": await stores.labels.of_owners(
            caller.org_id, [(d.device_id, caller.user_id) for d in devices]),
        "access": access, "live": True,  # a newly linked device appears without a reload
        "helpdesk": None if access.granted
        else await stores.helpdesk.contact(caller.org_id),
        "devices": [device_public(d, caller, caller.permissions) for d in devices]
        if access.granted
        else []})


async def _device_context(request: Request, caller: Caller,
                          device: DeviceSnapshot) -> dict[str, Any]:
    gw = gateway_of(request)
    t = translator(page_locale(request))
    availability = action_availability(device, caller, caller.permissions)
    commands = await device_history(gw.stores, caller, device)
    linked_at = device.owner.linked_at if device.owner else None
    return {
        "lost_mode_contact": await gw.stores.commands.lost_mode_contact(
            caller.org_id, device.device_id, linked_at) if device.lost_mode else None,
        "device": device_public(device, caller, caller.permissions, availability), "live": True,
        "label": (await gw.stores.labels.of_owners(
            caller.org_id, [(device.device_id, caller.user_id)])).get(device.device_id),
        "unavailable": [(a.value, reason_text(t, a.value, why.code, why.reason))
                        for a, why in availability.unavailable.items()
                        if not (a in OPT_IN_ACTIONS and why.code == "permission.missing")],
        "commands": commands,
        "cancelable": {c.command_id for c in commands if cancel_offered(c, device, caller)},
        "confirmed": sorted(a.value for a in CONFIRMED_ACTIONS),
        "needs_pin": {a.value for a in Action if needs_pin(a, device.platform, device.model)},
        "fresh": is_freshly_authenticated(caller.reauthenticated_at, gw.auth.policy, gw.now()),
        "confirm_name": device.name or device.identifiers.serial_number or "",
        "idempotency_key": uuid.uuid4().hex,  # one per rendered form: a double submit is one
        "status_labels": json.dumps({s.value: t(f"status.{s.value}") for s in CommandStatus}),
        "action_labels": json.dumps({a.value: t(f"action.{a.value}") for a in Action}),
        "passcodes": await gw.passcodes.waiting_on(caller, device.device_id, gw.now()),
        "passcodes_openable": gw.passcodes.can_open,
        "helpdesk": None if gw.passcodes.can_open
        else await gw.stores.helpdesk.contact(caller.org_id),
        "passcodes_shown": await gw.passcodes.shown_lately(caller, device.device_id, gw.now()),
    }


@router.get("/devices/{device_id}")
async def device_page(device: OwnedDevice, caller: PortalUser, request: Request) -> Response:
    return render(request, "device.html", await _device_context(request, caller, device))


@router.post("/devices/{device_id}/actions")
async def device_action(
    device: OwnedDevice, caller: PortalUser, request: Request,
    action: Annotated[str, Form(max_length=40)],
    message: Annotated[str, Form(max_length=500)] = "",
    phone_number: Annotated[str, Form(max_length=40)] = "",
    footnote: Annotated[str, Form(max_length=200)] = "",
    pin: Annotated[str, Form(max_length=6)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
    typed_name: Annotated[str, Form(max_length=200)] = "",
    idempotency_key: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    gw = gateway_of(request)
    form = ActionForm(action=action, message=message, phone_number=phone_number,
                      footnote=footnote, pin=pin, password=password, typed_name=typed_name,
                      idempotency_key=idempotency_key)
    new_secret = None
    try:
        caller, new_secret = await step_up_for(gw, caller, device, form, gw.now())
        await run_page_action(gw, caller, device, form, gw.now())
        response: Response = RedirectResponse(
            f"/devices/{device.device_id}?notice=command_requested", status_code=303)
    except NotAuthenticated:
        raise
    except PortalError as exc:
        context = await _device_context(request, caller, device)
        response = render(request, "device.html",
                          {**context, "error": error_text(request, exc)}, exc.status)
    if new_secret:  # the old session id is gone: the browser must get the new one either way
        set_session_cookie(response, request, gw.settings, new_secret)
    return response


@router.post("/devices/{device_id}/commands/{command_id}/cancel")
async def cancel_from_page(device: OwnedDevice, command_id: EntityIdPath, caller: PortalUser,
                           request: Request) -> Response:
    """The history's Cancel button: as `POST /api/v1/commands/{command_id}/cancel`, for a
    command of this very device."""
    gw = gateway_of(request)
    try:
        command = await own_command(gw.stores, caller, command_id)
        if command.device_id != device.device_id:
            raise NotFound("command.not_found", "No such command among yours.")
        await gw.commands.cancel(caller, command_id, gw.now())
        return RedirectResponse(f"/devices/{device.device_id}?notice=cancel_requested",
                                status_code=303)
    except PortalError as exc:
        context = await _device_context(request, caller, device)
        return render(request, "device.html",
                      {**context, "error": error_text(request, exc)}, exc.status)


@router.post("/devices/{device_id}/label")
async def rename_device(device: OwnedDevice, caller: CurrentUser, request: Request,
                        label: Annotated[str, Form(max_length=60)] = "") -> Response:
    """The owner's own name for the device, shown to them (and to admins beside the
    device's name); the device's name in the MDM stays as it is. Empty: no label."""
    gw = gateway_of(request)
    text = " ".join(label.split())  # no line breaks or runs of spaces in a heading
    await gw.stores.labels.set(caller.org_id, device.device_id, caller.user_id, text, gw.now())
    return RedirectResponse(f"/devices/{device.device_id}?notice=renamed", status_code=303)
