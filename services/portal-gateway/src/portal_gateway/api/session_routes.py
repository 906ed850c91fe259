"""Login, logout, step-up, and who am I."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from portal_gateway.api.schemas import (
    LoginBody,
    MePublic,
    PortalAccessPublic,
    ReauthBody,
    ReauthResult,
    SessionPublic,
)
from portal_gateway.domain.access import portal_access
from portal_gateway.http.client_address import client_address
from portal_gateway.http.context import gateway_of
from portal_gateway.http.cookies import clear_session_cookie, session_secret, set_session_cookie
from portal_gateway.http.guards import PUBLIC, CurrentUser

router = APIRouter(tags=["session"])


@router.post("/session", dependencies=[PUBLIC])
async def login(body: LoginBody, request: Request, response: Response) -> SessionPublic:
    gw = gateway_of(request)
    logged_in = await gw.auth.login(
        org_id=body.org or gw.settings.default_org_id, username=body.username,
        password=body.password, client=client_address(request, gw.trusted_proxies),
        previous_secret=session_secret(request, gw.settings), now=gw.now())
    set_session_cookie(response, request, gw.settings, logged_in.secret)
    s = logged_in.session
    return SessionPublic(user_id=s.user_id, username=s.username, org_id=s.org_id,
                         csrf_token=s.csrf_token)


@router.delete("/session", status_code=204)
async def logout(caller: CurrentUser, request: Request) -> Response:
    gw = gateway_of(request)
    await gw.auth.end(caller.session_hash)
    response = Response(status_code=204)
    clear_session_cookie(response, request, gw.settings)
    return response


@router.post("/session/reauth")
async def reauthenticate(body: ReauthBody, caller: CurrentUser, request: Request,
                         response: Response) -> ReauthResult:
    gw = gateway_of(request)
    now = gw.now()
    secret = await gw.auth.reauthenticate(caller, body.password, now)
    set_session_cookie(response, request, gw.settings, secret)
    return ReauthResult(fresh_until=now + gw.auth.policy.step_up)


@router.get("/me")
async def me(caller: CurrentUser, request: Request) -> MePublic:
    linked = await gateway_of(request).stores.devices.count_owned(caller)
    access = portal_access(caller.permissions, linked)
    return MePublic(
        user_id=caller.user_id, username=caller.username, display_name=caller.display_name,
        org_id=caller.org_id, locale=caller.locale, permissions=sorted(caller.permissions),
        is_admin=caller.is_admin, csrf_token=caller.csrf_token,
        portal_access=PortalAccessPublic(granted=access.granted, missing=list(access.missing)))
