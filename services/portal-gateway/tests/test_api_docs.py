"""/docs renders without the internet: Swagger UI's files come from the gateway itself, and
the page's Content-Security-Policy allows exactly them and its one start-up script."""

from __future__ import annotations

import base64
import hashlib
import re

import httpx
import pytest
from fastapi import FastAPI
from portal_gateway.app import create_app
from portal_gateway.settings import Settings
from ssp_runtime.signing import new_key_pair


@pytest.fixture(scope="module")
def app() -> FastAPI:
    # Builds routes only; nothing connects before the lifespan. Outside demo mode the gateway
    # needs its request signing key to start.
    return create_app(Settings(portal_request_signing_key=new_key_pair()[0]))


async def test_docs_page_loads_only_same_origin_assets_and_they_are_served(app):
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://gw") as client:
        page = await client.get("/docs")
        assert page.status_code == 200 and "SwaggerUIBundle" in page.text
        assets = re.findall(r'(?:src|href)="([^"]+)"', page.text)
        assert len(assets) == 3  # the script, the style sheet, the icon
        assert all(asset.startswith("/static/swagger-ui/") for asset in assets), assets
        for asset in assets:
            served = await client.get(asset)
            assert served.status_code == 200 and len(served.content) > 500, asset
        assert "url: '/openapi.json'" in page.text
        assert (await client.get("/openapi.json")).status_code == 200


async def test_docs_page_policy_allows_its_own_scripts_and_nothing_else(app):
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://gw") as client:
        page = await client.get("/docs")
    policy = dict(part.strip().split(" ", 1)
                  for part in page.headers["content-security-policy"].split(";"))
    inline = re.findall(r"<script>(.*?)</script>", page.text, re.S)
    digest = base64.b64encode(hashlib.sha256(inline[0].encode()).digest()).decode()
    assert policy["script-src"] == f"'self' 'sha256-{digest}'"
    assert policy["style-src"] == "'self'" and policy["connect-src"] == "'self'"
    assert "cdn" not in page.text.lower()
