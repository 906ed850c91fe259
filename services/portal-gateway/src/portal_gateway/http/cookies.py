"""The session cookie: HttpOnly, SameSite=Lax, Secure when the request came over HTTPS."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from portal_gateway.settings import Settings

LOCALE_COOKIE = "ssp_locale"
LOGIN_CSRF_COOKIE = "ssp_login_csrf"


def cookie_secure(mode: str, scheme: str) -> bool:
    return mode == "always" or (mode == "auto" and scheme == "https")


def set_session_cookie(response: Response, request: Request, settings: Settings,
                       secret: str) -> None:
    # No max-age: a browser session cookie; the server enforces idle and absolute expiry.
    response.set_cookie(settings.session_cookie_name, secret, httponly=True, samesite="lax",
                        secure=cookie_secure(settings.cookie_secure, request.url.scheme),
                        path="/")


def clear_session_cookie(response: Response, request: Request, settings: Settings) -> None:
    response.delete_cookie(settings.session_cookie_name, path="/", httponly=True,
                           samesite="lax",
                           secure=cookie_secure(settings.cookie_secure, request.url.scheme))


def session_secret(request: Request, settings: Settings) -> str | None:
    return request.cookies.get(settings.session_cookie_name)
