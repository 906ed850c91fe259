"""A device action submitted from the device page: the same desk and rules as the API.

For wipe, reset_passcode and retire (the confirmed actions) the dialog collects what the API
gets in separate calls: the password for step-up (when the session is not fresh), the typed
device name, then a confirmation is issued and spent in the same request.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime

from pydantic import BaseModel, ConfigDict, ValidationError
from ssp_contracts.commands import CommandParams
from ssp_contracts.devices import DeviceSnapshot
from ssp_contracts.enums import Action

from portal_gateway.command_requests import CommandAccepted, CommandRequest
from portal_gateway.domain.access import Caller
from portal_gateway.domain.confirmations import needs_confirmation, typed_name_matches
from portal_gateway.domain.errors import FieldProblem, ValidationFailed
from portal_gateway.domain.secrets_at_rest import secret_hash
from portal_gateway.domain.sessions import is_freshly_authenticated
from portal_gateway.http.context import Gateway


class ActionForm(BaseModel):
    model_config = ConfigDict(extra="forbid")
    action: str
    message: str = ""
    phone_number: str = ""
    footnote: str = ""
    pin: str = ""
    password: str = ""
    typed_name: str = ""
    idempotency_key: str = ""


def _action(value: str) -> Action:
    try:
        return Action(value)
    except ValueError:
        raise ValidationFailed([FieldProblem("action", "action.unknown",
                                             "Unknown action.")]) from None


def _params(form: ActionForm) -> CommandParams:
    given = {name: value.strip() for name, value in form.model_dump(
        include={"message", "phone_number", "footnote", "pin"}).items() if value.strip()}
    try:
        return CommandParams(**given)
    except ValidationError as exc:
        raise ValidationFailed([FieldProblem(".".join(map(str, e["loc"])), "invalid", e["msg"])
                                for e in exc.errors()]) from None


async def step_up_for(gw: Gateway, caller: Caller, device: DeviceSnapshot, form: ActionForm,
                      now: datetime) -> tuple[Caller, str | None]:
    """For confirmed actions: check the typed name, re-authenticate unless fresh.

    Returns the caller as of now and the new session secret when the id was rotated."""
    if not needs_confirmation(_action(form.action)):
        return caller, None
    if not typed_name_matches(form.typed_name, device.name, device.identifiers.serial_number):
        raise ValidationFailed([FieldProblem("typed_name", "confirm.name_mismatch",
                                             "The typed name does not match.")])
    if is_freshly_authenticated(caller.reauthenticated_at, gw.auth.policy, now):
        return caller, None
    secret = await gw.auth.reauthenticate(caller, form.password, now)
    return dataclasses.replace(caller, session_hash=secret_hash(secret),
                               reauthenticated_at=now), secret


async def run_page_action(gw: Gateway, caller: Caller, device: DeviceSnapshot,
                          form: ActionForm, now: datetime) -> CommandAccepted:
    """Request the command; confirmed actions get their confirmation issued and spent here."""
    action = _action(form.action)
    params = _params(form)
    token = None
    if needs_confirmation(action):
        token, _ = await gw.commands.issue_confirmation(caller, device, action, now)
    return await gw.commands.request(
        caller, device, CommandRequest(action=action, params=params, confirmation_token=token),
        form.idempotency_key or None, now)
