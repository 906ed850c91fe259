"""The gateway in production shape: ops endpoints on their own port (SSP_OPS_PORT), none on
the user-facing one, and HTTP metrics labelled by route template, not by raw path."""

from __future__ import annotations

import asyncio
import urllib.error
import urllib.request

from ssp_devstack.processes import free_port

from tests.support.waiting import eventually


async def test_ops_endpoints_move_to_the_ops_port(services, run_id):
    ops_port = free_port()
    gateway = services("portal_gateway", wait=False, SSP_OPS_PORT=str(ops_port),
                       SSP_CONSUMER_GROUP_PREFIX=f"portal-gateway-t{run_id}")
    ops = f"http://127.0.0.1:{ops_port}"

    async def ready() -> bool:
        return await asyncio.to_thread(status_of, ops + "/readyz") == 200

    await eventually(ready, timeout_s=60, what="gateway ready on its ops port")
    for path in ("/metrics", "/peers", "/readyz", "/healthz"):
        assert await asyncio.to_thread(status_of, gateway.url + path) == 404, path
        assert await asyncio.to_thread(status_of, ops + path) == 200, path

    # A device id in the URL must not become a label value.
    assert await asyncio.to_thread(status_of, gateway.url + f"/api/v1/devices/x{run_id}") == 401
    text = await asyncio.to_thread(body_of, ops + "/metrics")
    assert ('ssp_http_requests_total{method="GET",route="/api/v1/devices/{device_id}",'
            'status="401"} 1.0') in text
    assert f"x{run_id}" not in text
    assert 'ssp_gateway_logins_total{kind="login",outcome="failed"} 0.0' in text


def status_of(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=5) as resp:
            return int(resp.status)
    except urllib.error.HTTPError as exc:
        return exc.code
    except (urllib.error.URLError, ConnectionError):
        return 0  # not listening (yet)


def body_of(url: str) -> str:
    with urllib.request.urlopen(url, timeout=5) as resp:
        return resp.read().decode()
