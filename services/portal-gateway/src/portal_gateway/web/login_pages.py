"""Sign in, sign out, language switch."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from starlette.responses import RedirectResponse, Response

from portal_gateway.domain.errors import Forbidden, NotAuthenticated, RateLimited, Unavailable
from portal_gateway.domain.secrets_at_rest import new_secret, same_secret
from portal_gateway.http.client_address import client_address
from portal_gateway.http.context import gateway_of
from portal_gateway.http.cookies import (
    LOCALE_COOKIE,
    LOGIN_CSRF_COOKIE,
    clear_session_cookie,
    cookie_secure,
    session_secret,
    set_session_cookie,
)
from portal_gateway.http.guards import PUBLIC, CurrentUser
from portal_gateway.web.i18n import CATALOGUE
from portal_gateway.web.rendering import error_text, render, safe_next

router = APIRouter()
ONE_YEAR_S = 365 * 24 * 3600


def _login_form(request: Request, *, next_path: str, error: str | None = None,
                status_code: int = 200) -> Response:
    """The login form with a fresh double-submit token (there is no session to bind it to)."""
    token = new_secret()
    response = render(request, "login.html", {"login_csrf": token, "next": next_path,
                                              "error": error}, status_code)
    response.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict",
                        secure=cookie_secure(gateway_of(request).settings.cookie_secure,
                                             request.url.scheme))
    return response


@router.get("/", dependencies=[PUBLIC])
async def home() -> Response:
    return RedirectResponse("/devices", status_code=303)


@router.get("/login", dependencies=[PUBLIC])
async def login_page(request: Request, next: str | None = None) -> Response:
    return _login_form(request, next_path=safe_next(next))


@router.post("/login", dependencies=[PUBLIC])
async def login_submit(
    request: Request, username: Annotated[str, Form(max_length=254)],
    password: Annotated[str, Form(max_length=1024)],
    csrf_token: Annotated[str, Form()] = "", org: Annotated[str, Form(max_length=64)] = "",
    next: Annotated[str, Form()] = "/devices",
) -> Response:
    gw = gateway_of(request)
    target = safe_next(next)
    if not same_secret(csrf_token, request.cookies.get(LOGIN_CSRF_COOKIE) or "\0"):
        return _login_form(request, next_path=target, status_code=403,
                           error=error_text(request, Forbidden("csrf.invalid", "")))
    try:
        logged_in = await gw.auth.login(
            org_id=org.strip() or gw.settings.default_org_id, username=username,
            password=password, client=client_address(request, gw.trusted_proxies),
            previous_secret=session_secret(request, gw.settings), now=gw.now())
    except (NotAuthenticated, Unavailable, RateLimited) as exc:
        return _login_form(request, next_path=target, error=error_text(request, exc),
                           status_code=exc.status)
    response = RedirectResponse(target, status_code=303)
    set_session_cookie(response, request, gw.settings, logged_in.secret)
    response.delete_cookie(LOGIN_CSRF_COOKIE)
    return response


@router.post("/logout")
async def logout(caller: CurrentUser, request: Request) -> Response:
    gw = gateway_of(request)
    await gw.auth.logout(session_secret(request, gw.settings))
    response = RedirectResponse("/login?notice=signed_out", status_code=303)
    clear_session_cookie(response, request, gw.settings)
    return response


@router.post("/language", dependencies=[PUBLIC])
async def switch_language(request: Request, locale: Annotated[str, Form()],
                          next: Annotated[str, Form()] = "/devices") -> Response:
    response = RedirectResponse(safe_next(next), status_code=303)
    if locale in CATALOGUE:
        response.set_cookie(LOCALE_COOKIE, locale, max_age=ONE_YEAR_S, samesite="lax",
                            secure=cookie_secure(gateway_of(request).settings.cookie_secure,
                                                 request.url.scheme))
    return response
