"""What the gateway counts: HTTP traffic by route template (at the edge), logins, rate-limit
hits and open live streams. Kept beside the desks (subclasses, one exception handler) so the
desks stay free of metrics code."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from fastapi import FastAPI
from prometheus_client import CollectorRegistry, Counter, Gauge
from ssp_runtime.http_metrics import HttpMetricSet
from starlette.requests import Request
from starlette.responses import Response

from portal_gateway.authentication import Authentication, LoggedIn
from portal_gateway.domain.access import Caller
from portal_gateway.domain.errors import (
    Forbidden,
    NotAuthenticated,
    PortalError,
    RateLimited,
    Unavailable,
)
from portal_gateway.domain.wipe_breaker import WipeBreakerOpen
from portal_gateway.live_updates import LiveUpdates
from portal_gateway.wipe_breaker import WipeBreaker

OUTCOMES = ("ok", "failed", "rate_limited", "unavailable")


class GatewayMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.http = HttpMetricSet(registry)
        self.logins = Counter("ssp_gateway_logins", "Sign-ins and step-up re-authentications "
                              "by outcome", ["kind", "outcome"], registry=registry)
        self.rate_limited = Counter("ssp_gateway_rate_limited", "Requests refused by a rate "
                                    "limit, by limit (login, commands.user, ...)", ["scope"],
                                    registry=registry)
        self.sse_connections = Gauge("ssp_gateway_sse_connections",
                                     "Open live-update (SSE) streams of this instance",
                                     registry=registry)
        self.wipe_breaker_open = Gauge(
            "ssp_gateway_wipe_breaker_open", "Orgs whose wipe circuit breaker is open (all "
            "wipes refused), as last read from the shared database", registry=registry)
        self.wipes_refused = Counter(
            "ssp_gateway_wipes_refused", "Wipe requests refused by the open wipe circuit "
            "breaker", registry=registry)
        for kind in ("login", "step_up"):  # zeros from the start, so rates are never absent
            for outcome in OUTCOMES:
                self.logins.labels(kind, outcome)

    def install(self, app: FastAPI) -> None:
        """Rate-limit counting; after `install_problem_handlers`. HTTP traffic is counted at
        the edge (http/edge.py) with `self.http`."""
        respond = app.exception_handlers[PortalError]

        async def on_rate_limited(request: Request, exc: Exception) -> Response:
            assert isinstance(exc, RateLimited)
            self.rate_limited.labels(exc.code.removeprefix("rate_limited.")).inc()
            answer = respond(request, exc)
            return answer if isinstance(answer, Response) else await answer

        app.add_exception_handler(RateLimited, on_rate_limited)


class MeteredWipeBreaker(WipeBreaker):
    """Counts refused wipes; the open gauge follows the database (`refresh`, periodic)."""

    def __init__(self, metrics: GatewayMetrics, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.metrics = metrics

    async def admit(self, org_id: str, now: datetime) -> None:
        try:
            await super().admit(org_id, now)
        except WipeBreakerOpen:
            self.metrics.wipes_refused.inc()
            raise

    async def tripped(self, org_id: str, until: datetime) -> None:
        await super().tripped(org_id, until)
        await self.refresh()

    async def reset(self, org_id: str) -> bool:
        closed = await super().reset(org_id)
        await self.refresh()
        return closed

    async def refresh(self, now: datetime | None = None) -> None:
        self.metrics.wipe_breaker_open.set(
            await self.store.open_count(now or datetime.now(UTC)))


class MeteredLiveUpdates(LiveUpdates):
    def __init__(self, metrics: GatewayMetrics) -> None:
        super().__init__()
        self.metrics = metrics

    @contextlib.contextmanager
    def listen(self, user_id: str) -> Iterator[Any]:
        self.metrics.sse_connections.inc()
        try:
            with super().listen(user_id) as queue:
                yield queue
        finally:
            self.metrics.sse_connections.dec()


class MeteredAuthentication(Authentication):
    def __init__(self, metrics: GatewayMetrics, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.metrics = metrics

    async def login(self, **kwargs: Any) -> LoggedIn:
        with self._outcome("login"):
            return await super().login(**kwargs)

    async def reauthenticate(self, caller: Caller, password: str, now: datetime) -> str:
        with self._outcome("step_up"):
            return await super().reauthenticate(caller, password, now)

    @contextlib.contextmanager
    def _outcome(self, kind: str) -> Iterator[None]:
        try:
            yield
        except RateLimited:
            self.metrics.logins.labels(kind, "rate_limited").inc()
            raise
        except (NotAuthenticated, Forbidden):
            self.metrics.logins.labels(kind, "failed").inc()
            raise
        except Unavailable:
            self.metrics.logins.labels(kind, "unavailable").inc()
            raise
        self.metrics.logins.labels(kind, "ok").inc()
