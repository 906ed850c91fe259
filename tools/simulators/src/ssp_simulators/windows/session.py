"""One OMA-DM session of a simulated device over real HTTP, until the server has nothing left."""

from __future__ import annotations

import random
from dataclasses import dataclass

import httpx

from ssp_simulators.windows.answers import Responder
from ssp_simulators.windows.certificate import DEFAULT_CERT_HEADER
from ssp_simulators.windows.device import SimulatedWindowsDevice
from ssp_simulators.windows.syncml import CONTENT_TYPE, DeviceMessage, parse_server_message

SESSION_ALERT, LOGIN_STATUS_ALERT, GENERIC_ALERT = "1201", "1224", "1226"
UNENROLLMENT_ALERT_TYPE = "com.microsoft:mdm.unenrollment.userrequest"
DEFAULT_MAX_MESSAGES = 20  # a server that never stops sending commands is a bug, not a loop


class SessionError(Exception):
    """The server answered with an HTTP error or something that is not SyncML."""


@dataclass(frozen=True)
class SessionReport:
    session_id: str
    messages_sent: int
    commands_run: int
    wiped: bool  # the device reset itself in this session (no more sessions after it)


async def run_session(
    device: SimulatedWindowsDevice,
    client: httpx.AsyncClient,
    server_url: str,
    *,
    cert_header: str = DEFAULT_CERT_HEADER,
    rng: random.Random | None = None,
    max_messages: int = DEFAULT_MAX_MESSAGES,
) -> SessionReport | None:
    """Open a session, answer every command, stop when the server sends none. None: wiped."""
    if device.wiped or device.unenrolled:
        return None  # no MDM enrollment left to talk with
    rng = rng or random.Random()  # noqa: S311 - simulated PINs, not real secrets
    device.sessions += 1
    session_id = str(device.sessions)
    executed_before = len(device.history)
    message = DeviceMessage(session_id, 1, server_url, device.device_id)
    message.alert(SESSION_ALERT)
    message.alert(LOGIN_STATUS_ALERT, meta_type="com.microsoft/MDM/LoginStatus", data="user")
    message.replace(device.dev_info())
    headers = {"Content-Type": CONTENT_TYPE, cert_header: device.identity().header_value()}
    responder = Responder(device, session_id, rng)
    for msg_id in range(1, max_messages + 1):
        try:
            response = await client.post(server_url, content=message.finish(), headers=headers)
        except httpx.TransportError as exc:
            raise SessionError(f"cannot reach {server_url}: {type(exc).__name__}") from exc
        if response.status_code != 200:
            raise SessionError(f"server answered HTTP {response.status_code}")
        try:
            server = parse_server_message(response.content)
        except Exception as exc:  # defusedxml and ElementTree raise several types
            raise SessionError(f"server answer is not SyncML ({type(exc).__name__})") from exc
        if not server.requests:
            return SessionReport(session_id, msg_id, len(device.history) - executed_before,
                                 device.wiped)
        message = DeviceMessage(session_id, msg_id + 1, server_url, device.device_id)
        responder.answer(server, message)
    raise SessionError(f"the server kept sending commands for {max_messages} messages")


async def unenroll(
    device: SimulatedWindowsDevice,
    client: httpx.AsyncClient,
    server_url: str,
    *,
    cert_header: str = DEFAULT_CERT_HEADER,
) -> int:
    """The user removes the work account: Windows ends its sessions, then sends the 1226
    generic alert of type `com.microsoft:mdm.unenrollment.userrequest` (Data 1) with its
    DevInfo as the first package of a new session, and removes the enrollment whatever the
    server answers. Returns the server's HTTP status."""
    device.sessions += 1
    message = DeviceMessage(str(device.sessions), 1, server_url, device.device_id)
    message.alert(GENERIC_ALERT, meta_type=UNENROLLMENT_ALERT_TYPE, data="1", meta_format="int")
    message.replace(device.dev_info())
    headers = {"Content-Type": CONTENT_TYPE, cert_header: device.identity().header_value()}
    try:
        response = await client.post(server_url, content=message.finish(), headers=headers)
    except httpx.TransportError as exc:
        raise SessionError(f"cannot reach {server_url}: {type(exc).__name__}") from exc
    finally:
        device.unenrolled = True
    return response.status_code
