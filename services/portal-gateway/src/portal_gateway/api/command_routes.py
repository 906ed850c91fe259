"""Requesting commands on one's devices, confirmations for destructive ones, and status."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Request

from portal_gateway.api.schemas import (
    CancelAcceptedPublic,
    CommandAcceptedPublic,
    CommandList,
    ConfirmationBody,
    ConfirmationPublic,
)
from portal_gateway.command_reads import device_history, visible_command
from portal_gateway.command_requests import CommandRequest
from portal_gateway.domain.command_view import CommandPublic
from portal_gateway.http.context import gateway_of
from portal_gateway.http.guards import PortalUser
from portal_gateway.http.resources import EntityIdPath, OwnedDevice

router = APIRouter(tags=["commands"])
IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key", max_length=128,
                                              pattern=r"^[\x21-\x7e]+$")]


@router.post("/devices/{device_id}/commands", status_code=202)
async def request_command(body: CommandRequest, device: OwnedDevice, caller: PortalUser,
                          request: Request,
                          idempotency_key: IdempotencyKey = None) -> CommandAcceptedPublic:
    gw = gateway_of(request)
    accepted = await gw.commands.request(caller, device, body, idempotency_key, gw.now())
    return CommandAcceptedPublic(command_id=accepted.command_id)


@router.post("/devices/{device_id}/commands/confirmations", status_code=201)
async def confirm_command(body: ConfirmationBody, device: OwnedDevice, caller: PortalUser,
                          request: Request) -> ConfirmationPublic:
    gw = gateway_of(request)
    token, expires_at = await gw.commands.issue_confirmation(caller, device, body.action,
                                                             gw.now())
    return ConfirmationPublic(action=body.action, confirmation_token=token,
                              expires_at=expires_at)


@router.get("/devices/{device_id}/commands")
async def device_commands(device: OwnedDevice, caller: PortalUser,
                          request: Request) -> CommandList:
    return CommandList(items=await device_history(gateway_of(request).stores, caller, device))


@router.get("/commands/{command_id}")
async def get_command(command_id: EntityIdPath, caller: PortalUser,
                      request: Request) -> CommandPublic:
    return await visible_command(gateway_of(request).stores, caller, command_id)


@router.post("/commands/{command_id}/cancel", status_code=202)
async def cancel_command(command_id: EntityIdPath, caller: PortalUser,
                         request: Request) -> CancelAcceptedPublic:
    """Cancel a command not yet sent to the device.

    Only the command's requester may cancel (anyone else: 404). 409 when the gateway already
    knows it is too late; otherwise 202, and the outcome arrives as the command's status:
    `canceled`, or its current status with reason_code `cancel_refused.sent`."""
    gw = gateway_of(request)
    command = await gw.commands.cancel(caller, command_id, gw.now())
    return CancelAcceptedPublic(command_id=command.command_id, status=command.status)
