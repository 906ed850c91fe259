"""The location map's tile server is a setting, and the Content-Security-Policy lets the
browser load images from it and from nowhere else."""

from __future__ import annotations

import httpx
import pytest
from portal_gateway.app import create_app
from portal_gateway.settings import Settings
from pydantic import ValidationError
from ssp_runtime.signing import new_key_pair


async def image_sources(**fields: str) -> list[str]:
    # Outside demo mode the gateway needs its request signing key to start.
    settings = Settings(portal_request_signing_key=new_key_pair()[0], **fields)
    transport = httpx.ASGITransport(app=create_app(settings))
    async with httpx.AsyncClient(transport=transport, base_url="http://gw") as client:
        page = await client.get("/login")
    policy = dict(part.strip().split(" ", 1)
                  for part in page.headers["content-security-policy"].split(";"))
    return policy["img-src"].split()


async def test_openstreetmap_by_default_and_only_there():
    assert await image_sources() == ["'self'", "data:",
                                               "https://tile.openstreetmap.org"]


async def test_own_tile_server_with_subdomains_or_none():
    assert (await image_sources(map_tile_url="https://{s}.tiles.example.org:8443/"
                                                  "{z}/{x}/{y}.png"))[-1] == \
        "https://*.tiles.example.org:8443"
    assert await image_sources(map_tile_url="") == ["'self'", "data:"]


@pytest.mark.parametrize("url", ["javascript:alert(1)//{z}{x}{y}",
                                 "https://tiles.example.org/{z}/{x}.png"])
def test_tile_url_must_be_an_http_template(url):
    with pytest.raises(ValidationError):
        Settings(map_tile_url=url)
