"""The gateway's one middleware: everything a request meets before and after its route.

Why one: Starlette and FastAPI stack a layer per concern (server errors, exception telemetry,
FastAPI's body limit, the exception handlers, an exit stack) and the gateway added its own
(security headers, body cap, HTTP metrics); py-spy put about half of the gateway's CPU per
request in those layers (docs/benchmarks.md). This plain ASGI class does what they did, in one
call and one `send` wrapper:

- a body cap on every request but uploads (body_limit.py): 413 before a huge body is read;
- the app's exception handlers (problem+json or an error page) for what the router raises
  outside a route (404, 405, a missing static file), as Starlette's ExceptionMiddleware did; an
  unexpected error is a 500 answered here and raised on for the server to log;
- the security headers every response gets (security_headers.py), 413s and 500s included;
- `ssp_http_requests` and `ssp_http_request_duration_seconds` by route template;
- the exit stack FastAPI closes uploaded files with.

Plain ASGI (not BaseHTTPMiddleware), so streamed SSE responses pass untouched.
"""

from __future__ import annotations

import inspect
import time
from collections.abc import Mapping
from contextlib import AsyncExitStack
from dataclasses import dataclass
from typing import Any

from ssp_runtime.http_metrics import HttpMetricSet, route_template
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from portal_gateway.domain.errors import PortalError
from portal_gateway.http.body_limit import BodyTooLarge, read_capped, refuse_too_large
from portal_gateway.http.security_headers import security_headers

# Where Starlette's routes look for the app's exception handlers (its ExceptionMiddleware put
# them there; a route answers its own exceptions with them) and where FastAPI's request
# handler finds the stack that closes uploaded files.
HANDLERS_KEY = "starlette.exception_handlers"
EXIT_STACK_KEY = "fastapi_middleware_astack"
Handler = Any  # (Request, Exception) -> Response | Awaitable[Response]


@dataclass(frozen=True)
class EdgeRules:
    max_body_bytes: int
    content_security_policy: str
    metrics: HttpMetricSet | None = None


class Edge:
    def __init__(self, app: ASGIApp, rules: EdgeRules,
                 handlers: Mapping[Any, Handler]) -> None:
        self.app = app
        self.rules = rules
        self.metrics = rules.metrics
        # By exception class; the gateway registers no handler by status code.
        self.handlers = {k: v for k, v in handlers.items() if isinstance(k, type)}
        self.route_handlers: tuple[dict[Any, Handler], dict[int, Handler]] = (self.handlers, {})
        self.static_headers = security_headers(rules.content_security_policy, no_store=False)
        self.other_headers = security_headers(rules.content_security_policy, no_store=True)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 0  # none sent yet
        extra = self.static_headers if scope["path"].startswith("/static/") \
            else self.other_headers

        async def send_at_edge(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", ()))
                present = {name.lower() for name, _ in headers}
                headers.extend(h for h in extra if h[0] not in present)
                message["headers"] = headers
                if self.metrics is not None:  # latency to the response's start (SSE opened)
                    self.metrics.latency.labels(route_template(scope), scope["method"]).observe(
                        time.perf_counter() - started)
            await send(message)

        try:
            try:
                body = await read_capped(scope, receive, self.rules.max_body_bytes)
            except BodyTooLarge:
                await refuse_too_large(scope, send_at_edge, self.rules.max_body_bytes)
                return
            if body is None:  # the client left while sending its body
                return
            scope[HANDLERS_KEY] = self.route_handlers
            async with AsyncExitStack() as stack:
                scope[EXIT_STACK_KEY] = stack
                try:
                    await self.app(scope, body, send_at_edge)
                except Exception as exc:
                    if status:  # the answer began: nothing else can be sent
                        raise
                    await self._answer(exc, scope, body, send_at_edge)
        finally:
            if self.metrics is not None:  # an app that raised before answering: 500
                self.metrics.requests.labels(route_template(scope), scope["method"],
                                             str(status or 500)).inc()

    async def _answer(self, exc: Exception, scope: Scope, receive: Receive,
                      send: Send) -> None:
        """The app's handler for `exc` (404, 405 from the router); anything unexpected is a
        500 problem, then raised on for the server to log, as Starlette's
        ServerErrorMiddleware did."""
        handler = next((self.handlers[cls] for cls in type(exc).__mro__
                        if cls in self.handlers), None)
        if handler is not None:
            await self._respond(handler, exc, scope, receive, send)
            return
        if PortalError not in self.handlers:
            raise exc
        await self._respond(self.handlers[PortalError], PortalError(
            "internal", "Something went wrong on our side."), scope, receive, send)
        raise exc

    @staticmethod
    async def _respond(handler: Handler, exc: Exception, scope: Scope, receive: Receive,
                       send: Send) -> None:
        answer = handler(Request(scope, receive), exc)
        response = await answer if inspect.isawaitable(answer) else answer
        await response(scope, receive, send)
