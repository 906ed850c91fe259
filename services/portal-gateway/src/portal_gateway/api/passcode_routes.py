"""Showing the new passcode of a reset_passcode command, once, to the user who requested it."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field

from portal_gateway.http.context import gateway_of
from portal_gateway.http.guards import PortalUser
from portal_gateway.http.resources import EntityIdPath

router = APIRouter(tags=["commands"])


class PasscodeRevealed(BaseModel):
    passcode: str = Field(description="The device's new passcode; this is the only time it is "
                                      "shown (a second request answers 410)")


@router.post("/commands/{command_id}/secret", responses={
    404: {"description": "No such command of yours, or it produced no passcode"},
    409: {"description": "The command is not acknowledged (yet)"},
    410: {"description": "Already shown once (secret.already_revealed) or no longer kept"},
    503: {"description": "This gateway has no key to open passcodes"}})
async def reveal_passcode(command_id: EntityIdPath, caller: PortalUser, request: Request,
                          response: Response) -> PasscodeRevealed:
    gw = gateway_of(request)
    passcode = await gw.passcodes.reveal(caller, command_id, gw.now())
    response.headers["Cache-Control"] = "no-store"  # never in a browser or proxy cache
    response.headers["Pragma"] = "no-cache"
    return PasscodeRevealed(passcode=passcode)
