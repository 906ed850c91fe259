"""Rendering pages: Jinja2 with autoescaping, the page's language, and the error page."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi.templating import Jinja2Templates
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from portal_gateway.domain.access import PortalAccess
from portal_gateway.domain.errors import NoPortalAccess, NotAuthenticated, PortalError
from portal_gateway.http.cookies import LOCALE_COOKIE
from portal_gateway.web.i18n import negotiate, translator

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else ""


def _percent(value: float | None) -> str:
    return "" if value is None else f"{round(value * 100)} %"


def _gigabytes(value: int | None) -> str:
    return "" if value is None else f"{value / 1_000_000_000:.1f} GB"


TEMPLATES.env.filters.update(when=_when, percent=_percent, gigabytes=_gigabytes)


def page_locale(request: Request) -> str:
    return negotiate(request.cookies.get(LOCALE_COOKIE), request.headers.get("accept-language"))


def render(request: Request, template: str, context: dict[str, Any] | None = None,
           status_code: int = 200) -> Response:
    locale = page_locale(request)
    t = translator(locale)
    notice_key = request.query_params.get("notice", "")
    base = {"t": t, "locale": locale, "caller": getattr(request.state, "caller", None),
            # Only known notices are shown: the query string cannot inject text.
            "notice": t(f"notice.{notice_key}", default="") if notice_key else "",
            "error": None}
    return TEMPLATES.TemplateResponse(request, template, {**base, **(context or {})},
                                      status_code=status_code)


def error_text(request: Request, error: PortalError) -> str:
    """The error in the page's language; field problems are more precise than the summary."""
    t = translator(page_locale(request))
    problems = getattr(error, "problems", ())
    if problems:
        return " ".join(t(f"error.{p.code}", default=p.message) for p in problems)
    return t(f"error.{error.code}", default=error.detail)


async def render_page_error(request: Request, error: PortalError) -> Response:
    if isinstance(error, NotAuthenticated) and error.code == "auth.required":
        target = request.url.path if request.method == "GET" else "/devices"
        return RedirectResponse(f"/login?next={quote(target)}", status_code=303)
    if isinstance(error, NoPortalAccess):  # the very refusal the device list shows
        access = PortalAccess(granted=False, missing=tuple(error.extra["missing"]))
        return render(request, "devices.html", {"access": access, "devices": []}, error.status)
    return render(request, "error.html", {"error": error_text(request, error),
                                          "status": error.status}, error.status)


def safe_next(target: str | None) -> str:
    """Only local paths: no open redirect to another site."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/devices"
