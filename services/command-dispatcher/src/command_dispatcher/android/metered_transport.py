"""Counts every HTTP exchange with the Android Management API by outcome, below the client,
so retries after a 401 and polls are each seen, and the client itself stays metrics-free."""

from __future__ import annotations

import time

import httpx
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from command_dispatcher.android.quota import TokenBucket


class AmapiMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.requests = Counter(
            "ssp_amapi_requests", "Android Management API requests by method and outcome "
            "(HTTP status class, 429, or transport_error)", ["method", "outcome"],
            registry=registry)
        self.latency = Histogram(
            "ssp_amapi_request_duration_seconds", "Android Management API request time",
            ["method"], registry=registry)
        self.quota_tokens = Gauge(
            "ssp_amapi_quota_tokens", "Requests this process may still send to the Android "
            "Management API now (its token bucket)", registry=registry)

    def watch_quota(self, bucket: TokenBucket) -> None:
        self.quota_tokens.set_function(lambda: bucket.tokens_left)


class MeteredTransport(httpx.AsyncBaseTransport):
    def __init__(self, metrics: AmapiMetrics, inner: httpx.AsyncBaseTransport | None = None,
                 ) -> None:
        self.metrics = metrics
        self.inner = inner or httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        started = time.perf_counter()
        try:
            response = await self.inner.handle_async_request(request)
        except httpx.TransportError:
            self.metrics.requests.labels(request.method, "transport_error").inc()
            raise
        finally:
            self.metrics.latency.labels(request.method).observe(time.perf_counter() - started)
        self.metrics.requests.labels(request.method, outcome(response.status_code)).inc()
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()


def outcome(status: int) -> str:
    # 429 apart: it is Google's quota talking, not a fault of ours or theirs.
    return "429" if status == 429 else f"{status // 100}xx"
