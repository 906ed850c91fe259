"""Errors at the edge: RFC 9457 problem details for the API, pages for the browser.

One mapping for the whole app: domain errors carry their status and stable `code`.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from portal_gateway.domain.errors import BadRequest, FieldProblem, PortalError, ValidationFailed

log = logging.getLogger(__name__)
PROBLEM_JSON = "application/problem+json"
PageErrorRenderer = Callable[[Request, PortalError], Awaitable[Response]]
_HTTP_CODES = {401: "auth.required", 404: "not_found", 405: "method_not_allowed",
               413: "too_large", 415: "unsupported_media_type"}


def problem_body(error: PortalError, instance: str) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": f"urn:ssp:problem:{error.code}", "title": error.title, "status": error.status,
        "detail": error.detail, "instance": instance, "code": error.code, **error.extra,
    }
    problems = getattr(error, "problems", ())
    if problems:
        body["problems"] = [{"field": p.field, "code": p.code, "message": p.message}
                            for p in problems]
    return body


def problem_response(error: PortalError, request: Request) -> JSONResponse:
    body = problem_body(error, request.url.path)
    headers = {}
    if "retry_after_s" in error.extra:
        headers["Retry-After"] = str(error.extra["retry_after_s"])
    return JSONResponse(body, status_code=body["status"], media_type=PROBLEM_JSON,
                        headers=headers)


def from_validation(exc: RequestValidationError) -> PortalError:
    """422 with every field's problem; an identifier of the wrong shape in the path is 400."""
    errors = exc.errors()
    bad_ids = [str(e["loc"][-1]) for e in errors if tuple(e.get("loc", ()))[:1] == ("path",)]
    if bad_ids and len(bad_ids) == len(errors):
        return BadRequest("identifier.malformed",
                          f"Malformed identifier in the path: {', '.join(bad_ids)}.")
    problems = []
    for err in errors:
        loc = [str(part) for part in err.get("loc", ()) if part != "body"]
        problems.append(FieldProblem(".".join(loc) or "body", f"invalid.{err.get('type')}",
                                     str(err.get("msg"))))
    return ValidationFailed(problems)


def from_http(exc: StarletteHTTPException) -> PortalError:
    error = PortalError(_HTTP_CODES.get(exc.status_code, f"http.{exc.status_code}"),
                        str(exc.detail))
    error.status = exc.status_code
    error.title = "Not found" if exc.status_code == 404 else "Request failed"
    return error


def is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def install_problem_handlers(app: FastAPI, page_error: PageErrorRenderer) -> None:
    async def respond(request: Request, error: PortalError) -> Response:
        if error.status >= 500:
            log.warning("request failed", extra={"code": error.code, "path": request.url.path})
        if is_api(request):
            return problem_response(error, request)
        return await page_error(request, error)

    async def on_portal_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, PortalError)
        return await respond(request, exc)

    async def on_validation(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        return await respond(request, from_validation(exc))

    async def on_http(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        return await respond(request, from_http(exc))

    app.add_exception_handler(PortalError, on_portal_error)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(StarletteHTTPException, on_http)
