"""HTTP metrics carry the route template, never a raw path (bounded label values)."""

from __future__ import annotations

import httpx
from fastapi import APIRouter, FastAPI
from prometheus_client import CollectorRegistry
from ssp_runtime.http_metrics import HttpMetrics, HttpMetricSet
from starlette.responses import PlainTextResponse
from starlette.routing import Mount


def build() -> tuple[FastAPI, CollectorRegistry]:
    registry = CollectorRegistry()
    api = APIRouter(prefix="/api/v1")

    @api.get("/devices/{device_id}")
    async def device(device_id: str) -> dict[str, str]:
        return {"id": device_id}

    @api.get("/boom")
    async def boom() -> None:
        raise RuntimeError("unhandled")

    app = FastAPI()
    app.include_router(api)

    async def files(scope, receive, send):  # type: ignore[no-untyped-def]
        await PlainTextResponse("a file")(scope, receive, send)

    app.router.routes.append(Mount("/static", app=files))
    app.add_middleware(HttpMetrics, metrics=HttpMetricSet(registry))
    return app, registry


def count(registry: CollectorRegistry, route: str, status: str) -> float | None:
    return registry.get_sample_value(
        "ssp_http_requests_total", {"route": route, "method": "GET", "status": status})


async def test_routes_are_labelled_by_template_prefix_and_mount_included():
    app, registry = build()
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        for device in ("a1", "b2"):
            assert (await client.get(f"/api/v1/devices/{device}")).status_code == 200
        assert (await client.get("/static/css/portal.css")).status_code == 200
        assert (await client.get("/no/such/page")).status_code == 404
        assert (await client.get("/api/v1/boom")).status_code == 500
    assert count(registry, "/api/v1/devices/{device_id}", "200") == 2
    assert count(registry, "/static/{path}", "200") == 1
    assert count(registry, "<unmatched>", "404") == 1
    assert count(registry, "/api/v1/boom", "500") == 1
    assert registry.get_sample_value(
        "ssp_http_request_duration_seconds_count",
        {"route": "/api/v1/devices/{device_id}", "method": "GET"}) == 2
