"""A dispatcher process serving OMA-DM, and simulated Windows laptops that talk to it."""

from __future__ import annotations

from collections.abc import Callable

import httpx
from ssp_devstack.processes import ServiceProcess, free_port
from ssp_simulators.windows import SimulatedWindowsDevice, WindowsFleet
from ssp_simulators.windows.certificate import DEFAULT_CERT_HEADER
from ssp_simulators.windows.syncml import CONTENT_TYPE, DeviceMessage


def start_fleet_and_dispatcher(services: Callable[..., ServiceProcess], *, devices: int = 1,
                               **env: str) -> tuple[WindowsFleet, ServiceProcess]:
    port = free_port()
    fleet = WindowsFleet(f"http://127.0.0.1:{port}", devices=devices)
    dispatcher = services("command_dispatcher", args=["--platform", "windows"],
                          SSP_DEVICE_HTTP_PORT=str(port), **{"SSP_DEMO_MODE": "true", **env})
    return fleet, dispatcher


def windows_id(device: SimulatedWindowsDevice) -> str:
    return f"windows-{device.device_id}"


async def post_syncml(client: httpx.AsyncClient, fleet: WindowsFleet, body: bytes, *,
                      certificate: str | None) -> httpx.Response:
    headers = {"Content-Type": CONTENT_TYPE}
    if certificate is not None:
        headers[DEFAULT_CERT_HEADER] = certificate
    return await client.post(fleet.url, content=body, headers=headers)


def opening_message(fleet: WindowsFleet, device: SimulatedWindowsDevice) -> bytes:
    """The first message of a new session: Alert 1201 and the device's DevInfo."""
    device.sessions += 1
    message = DeviceMessage(str(device.sessions), 1, fleet.url, device.device_id)
    message.alert("1201")
    message.replace(device.dev_info())
    return message.finish()


async def open_and_abandon_session(client: httpx.AsyncClient, fleet: WindowsFleet,
                                   device: SimulatedWindowsDevice) -> httpx.Response:
    """A session whose first reply the device never answers (a laptop closed mid-session):
    what the server sent in it stays unconfirmed."""
    return await post_syncml(client, fleet, opening_message(fleet, device),
                             certificate=device.identity().header_value())
