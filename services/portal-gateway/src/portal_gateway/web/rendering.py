"""Rendering pages: Jinja2 with autoescaping, the page's language, and the error page."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi.templating import Jinja2Templates
from jinja2 import pass_context
from jinja2.runtime import Context
from ssp_contracts.device_models import friendly_model
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from portal_gateway.domain.access import PortalAccess
from portal_gateway.domain.errors import NoPortalAccess, NotAuthenticated, PortalError
from portal_gateway.domain.helpdesk import HelpdeskContact
from portal_gateway.http.context import gateway_of
from portal_gateway.http.cookies import LOCALE_COOKIE
from portal_gateway.web.formats import gigabytes_text, percent_text, when_html, when_text
from portal_gateway.web.i18n import DEFAULT_LOCALE, negotiate, translator

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))


def _in_page_locale(format_in: Callable[..., Any]) -> Callable[..., Any]:
    """A filter that formats in the rendered page's language (its `locale` variable)."""
    @pass_context
    def apply(context: Context, value: Any, **options: Any) -> Any:
        return format_in(value, context.get("locale", DEFAULT_LOCALE), **options)
    return apply


# `when` is text (for a sentence's placeholder); `time` is a `<time>` shown in the viewer's zone.
TEMPLATES.env.filters.update(
    when=_in_page_locale(when_text), time=_in_page_locale(when_html),
    percent=_in_page_locale(percent_text), gigabytes=_in_page_locale(gigabytes_text),
    model_name=friendly_model)


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


async def _helpdesk_of(request: Request) -> HelpdeskContact | None:
    """The signed-in caller's help desk, for an error page."""
    caller = getattr(request.state, "caller", None)
    return None if caller is None else await gateway_of(request).stores.helpdesk.contact(
        caller.org_id)


async def render_page_error(request: Request, error: PortalError) -> Response:
    if isinstance(error, NotAuthenticated) and error.code == "auth.required":
        target = request.url.path if request.method == "GET" else "/devices"
        return RedirectResponse(f"/login?next={quote(target)}", status_code=303)
    helpdesk = await _helpdesk_of(request)
    if isinstance(error, NoPortalAccess):  # the very refusal the device list shows
        access = PortalAccess(granted=False, missing=tuple(error.extra["missing"]))
        return render(request, "devices.html", {"access": access, "devices": [], "labels": {},
                                                "helpdesk": helpdesk}, error.status)
    return render(request, "error.html", {"error": error_text(request, error),
                                          "status": error.status, "helpdesk": helpdesk},
                  error.status)


def safe_next(target: str | None) -> str:
    """Only local paths: no open redirect to another site."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/devices"
