"""The last location on a map (Leaflet, served by the gateway), with the accuracy circle; the
coordinates, the time and the link stay as the fallback when no tile can be loaded."""

from __future__ import annotations

import pytest

pytest.importorskip("playwright.async_api", reason="the playwright Python package is missing")

from playwright.async_api import expect

from tests.browser.pages import open_device, screenshot, sign_in
from tests.browser.portal_stack import MAP_TILES
from tests.support.images import one_pixel_png
from tests.support.waiting import eventually


async def located_iphone(portal) -> tuple[str, str]:
    """alice's first iPhone, in lost mode and located (Apple answers a location only then);
    returns its id and the coordinates as the page writes them."""
    iphone = portal.iphones[0]
    async with portal.api_session("alice") as api:
        async def command(action: str, **params: str) -> None:
            sent = await api.post(f"/api/v1/devices/{iphone.udid}/commands",
                                  json={"action": action, "params": params})
            assert sent.status_code == 202, sent.text

        async def device() -> dict:
            return (await api.get(f"/api/v1/devices/{iphone.udid}")).json()

        if not (await device())["lost_mode"]:
            await command("enable_lost_mode", message="Please call Alice.")
            await eventually(lambda: _lost_mode(device), timeout_s=45, what="lost mode on")
        await command("locate")
        await eventually(lambda: _location(device), timeout_s=45, what="a location")
    return iphone.udid, f"{iphone.latitude:.5f}, {iphone.longitude:.5f}"


async def _lost_mode(device) -> bool:
    return bool((await device())["lost_mode"])


async def _location(device) -> dict | None:
    return (await device()).get("last_location")


async def test_location_on_a_map_and_the_coordinates_when_tiles_fail(new_page, portal):
    device_id, coordinates = await located_iphone(portal)
    tiles = MAP_TILES.split("{z}")[0] + "**"

    page = await new_page()
    await page.route(tiles, lambda route: route.fulfill(body=one_pixel_png(224),
                                                        content_type="image/png"))
    await sign_in(page, portal, "alice")
    await open_device(page, device_id)
    location = page.locator("section[aria-labelledby=location-title]")
    await expect(location.get_by_text(coordinates)).to_be_visible()
    map_box = location.locator("#location-map.leaflet-container")
    await expect(map_box).to_be_visible()
    await expect(map_box.locator("img.leaflet-tile-loaded").first).to_be_visible()
    # The accuracy circle and the position's dot.
    await expect(map_box.locator("path.leaflet-interactive")).to_have_count(2)
    await expect(map_box.locator(".leaflet-control-attribution")).to_contain_text(
        "OpenStreetMap")
    await expect(location.locator(".location-map-failed")).to_be_hidden()
    await screenshot(page, "device-location-map")

    offline = await new_page()  # nothing answers the tile requests
    await sign_in(offline, portal, "alice")
    await open_device(offline, device_id)
    location = offline.locator("section[aria-labelledby=location-title]")
    await expect(location.locator(".location-map-failed")).to_be_visible()
    await expect(location.get_by_text(coordinates)).to_be_visible()
    await expect(location.get_by_role("link", name="Show on OpenStreetMap")).to_be_visible()
