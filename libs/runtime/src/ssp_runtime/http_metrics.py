"""HTTP request metrics labelled by route template (`/api/v1/devices/{device_id}`), never by
raw path, so a scan of random URLs cannot create unbounded label values."""

from __future__ import annotations

import time
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram
from starlette.routing import Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

UNMATCHED = "<unmatched>"
# Page renders and API calls: milliseconds to a few seconds (a login waits on request/reply).
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class HttpMetricSet:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.requests = Counter(
            "ssp_http_requests", "HTTP requests by route template, method and status",
            ["route", "method", "status"], registry=registry)
        self.latency = Histogram(
            "ssp_http_request_duration_seconds",
            "Time from request to response headers, by route template",
            ["route", "method"], buckets=BUCKETS, registry=registry)


class HttpMetrics:
    """Pure ASGI middleware (not BaseHTTPMiddleware, which would buffer SSE streams).

    Latency is measured to the start of the response, so a long-lived event stream counts
    as the moment it was opened, not as its whole life."""

    def __init__(self, app: ASGIApp, metrics: HttpMetricSet) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # what the server sends when the app raises before answering

        async def send_and_measure(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                self.metrics.latency.labels(route_template(scope), scope["method"]).observe(
                    time.perf_counter() - started)
            await send(message)

        try:
            await self.app(scope, receive, send_and_measure)
        finally:
            self.metrics.requests.labels(route_template(scope), scope["method"],
                                         str(status)).inc()


def route_template(scope: Scope) -> str:
    """The matched route's full path template. Starlette puts the route into the scope; a
    FastAPI route of an included router knows only its own part of the template, so the
    router prefix is recovered from the raw path (prefixes here are static)."""
    route: Any = scope.get("route")
    template = getattr(route, "path_format", None) or getattr(route, "path", None)
    if route is None or not template:
        # A Mount (static files) that FastAPI's router matched leaves no route, only the
        # prefix it consumed in root_path.
        mounted = scope.get("root_path", "")[len(scope.get("app_root_path", "")):]
        return f"{mounted}/{{path}}" if mounted else UNMATCHED
    if isinstance(route, Mount):  # static files and sub-apps: one label for the whole mount
        return f"{template}/{{path}}"
    path, regex = scope.get("path", ""), getattr(route, "path_regex", None)
    if regex is None or regex.match(path):
        return str(template)
    for i, char in enumerate(path):
        if char == "/" and regex.match(path[i:]):
            return path[:i] + str(template)
    return str(template)
