"""A device's activity for its owner: who asked for what, when, and how it ended.

Read from the gateway's command projection (the same commands the device page's history
lists: the owner's own, and any on the device since it was linked to them), with each step's
time; the requester is named ("You", or the user's display name or username).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from portal_gateway.command_reads import device_history
from portal_gateway.http.context import gateway_of
from portal_gateway.http.guards import CurrentUser
from portal_gateway.http.resources import OwnedDevice
from portal_gateway.web.i18n import translator
from portal_gateway.web.rendering import page_locale, render

router = APIRouter()


@router.get("/devices/{device_id}/activity")
async def activity_page(device: OwnedDevice, caller: CurrentUser, request: Request) -> Response:
    gw = gateway_of(request)
    t = translator(page_locale(request))
    commands = await device_history(gw.stores, caller, device)
    names: dict[str, str] = {caller.user_id: t("activity.you")}
    for user_id in {c.requested_by for c in commands} - names.keys():
        user = await gw.stores.access.get(user_id)
        names[user_id] = (user.display_name or user.username
                          if user is not None and user.org_id == caller.org_id
                          else t("activity.someone"))
    labels = await gw.stores.labels.of_owners(caller.org_id,
                                              [(device.device_id, caller.user_id)])
    return render(request, "activity.html", {
        "device": device, "label": labels.get(device.device_id), "commands": commands,
        "who": names})
