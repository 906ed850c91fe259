"""One simulated device talking to the MDM server over HTTP: check-in and `connect` sessions."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import plistlib
import random
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx

from ssp_simulators.apple.answers import answer, idle_report, user_channel_answer
from ssp_simulators.apple.device import SimulatedDevice
from ssp_simulators.apple.signing import SIGNATURE_HEADER

CHECKIN_CONTENT_TYPE = "application/x-apple-aspen-mdm-checkin"
CONNECT_CONTENT_TYPE = "application/x-apple-aspen-mdm"

log = logging.getLogger(__name__)


class EnrollmentFailed(Exception):
    """The server refused a check-in message."""


@dataclass(frozen=True)
class Endpoints:
    checkin_url: str
    connect_url: str

    @classmethod
    def for_server(cls, server: str, *, checkin_url: bool = True) -> Endpoints:
        """The dispatcher's paths under `server`; a query string (as in a profile) is kept.
        Without a CheckInURL (optional in Apple's MDM payload) check-ins go to the ServerURL."""
        parts = urlsplit(server)
        base = parts.path.rstrip("/")
        connect = urlunsplit(parts._replace(path=f"{base}/mdm/apple/connect"))
        checkin = urlunsplit(parts._replace(path=f"{base}/mdm/apple/checkin"))
        return cls(checkin if checkin_url else connect, connect)


@dataclass(frozen=True)
class Behaviour:
    not_now_probability: float = 0.0
    latency_s: tuple[float, float] = (0.0, 0.0)  # per command, uniform in [min, max]
    not_now_retry_s: float = 2.0  # a device polls again by itself after answering NotNow
    # A Mac in Power Nap or an iPhone before its first unlock: NotNow for every request type
    # but these (None: no such state).
    not_now_except: frozenset[str] | None = None


# A Mac in Power Nap takes what protects a lost Mac and declines the rest until it wakes
# (it wakes by itself now and then: a minute here, so the demo does not poll every 2 s).
POWER_NAP = Behaviour(not_now_except=frozenset({"DeviceLock", "EraseDevice"}),
                      not_now_retry_s=60.0)


class DeviceSession:
    """Drives one device's HTTP conversation; at most one `connect` session runs at a time."""

    def __init__(
        self, device: SimulatedDevice, http: httpx.AsyncClient, endpoints: Endpoints,
        behaviour: Behaviour, rng: random.Random,
    ) -> None:
        self.device, self._http, self._endpoints = device, http, endpoints
        self._behaviour, self._rng = behaviour, rng
        self._lock = asyncio.Lock()
        self._woken = False
        self._pushed = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._user_task: asyncio.Task[None] | None = None
        self.http_errors: list[str] = []  # what went wrong, for tests and the CLI log
        self.answers: dict[str, dict[str, Any]] = {}  # CommandUUID -> the last report sent

    async def _put(self, url: str, message: dict[str, Any], content_type: str) -> httpx.Response:
        body = plistlib.dumps(message, fmt=plistlib.FMT_XML)
        headers = {
            "Content-Type": content_type,
            SIGNATURE_HEADER: self.device.identity().sign(body),
            "User-Agent": "MDM/1.0 ssp-simulator",
        }
        return await self._http.put(url, content=body, headers=headers)

    async def _checkin(self, message: dict[str, Any]) -> None:
        response = await self._put(self._endpoints.checkin_url, message, CHECKIN_CONTENT_TYPE)
        if response.status_code != 200:
            error = f"{message['MessageType']}: HTTP {response.status_code}"
            self.http_errors.append(error)
            raise EnrollmentFailed(f"{self.device.udid} {error}")

    async def enroll(self) -> None:
        """Authenticate, then TokenUpdate with fresh push credentials (as a new profile does)."""
        self.device.new_push_credentials(self._rng)
        await self._checkin(self.device.authenticate_message())
        # The profile is installed from here on: a server may push (and expect a connect)
        # while it is still handling the TokenUpdate, as real servers do.
        self.device.state.enrolled = True
        try:
            await self._checkin(self.device.token_update_message())
            if self.device.user_id is not None:  # the user logs in: the user channel's turn
                await self._checkin(self.device.user_token_update_message())
        except EnrollmentFailed:
            self.device.state.enrolled = False
            raise

    async def reenroll(self) -> None:
        """A new enrollment profile over the old one (no CheckOut): a new identity."""
        self.device.new_identity()
        await self.enroll()

    async def unenroll(self) -> None:
        """The user removed the MDM profile: CheckOut, then the device forgets the server."""
        await self._checkin(self.device.checkout_message())
        self.device.state.enrolled = False

    def wake_user(self) -> None:
        """A push for the user channel: its own session (Idle carrying the UserID)."""
        if self._user_task is None or self._user_task.done():
            self._user_task = asyncio.get_running_loop().create_task(self._user_session())

    async def _user_session(self) -> None:
        report = idle_report(self.device, user_channel=True)
        while self.device.state.enrolled:
            response = await self._put(self._endpoints.connect_url, report, CONNECT_CONTENT_TYPE)
            if response.status_code != 200:
                self.http_errors.append(f"user connect: HTTP {response.status_code}")
                return
            if not response.content.strip():
                return
            report = user_channel_answer(self.device, plistlib.loads(response.content))

    def wake(self) -> None:
        """A push arrived: connect now, or once more after the session that is running."""
        self._woken = True
        self._pushed.set()
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self.connect())

    async def connect(self) -> None:
        """Run `connect` sessions until no push arrived during the last one; after a NotNow,
        poll again by itself later, or at once when a push comes."""
        async with self._lock:
            self._woken = True
            while self._woken:
                self._woken = False
                self._pushed.clear()
                declined = await self._session()
                if declined and self.device.state.enrolled and not self._woken:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._pushed.wait(),
                                               self._behaviour.not_now_retry_s)
                    self._woken = True

    async def answer_again(self, command_uuid: str) -> httpx.Response:
        """Send the last answer to `command_uuid` once more, as a device does when it retries a
        request whose reply it lost. The server's reply (maybe a next command) is not acted on."""
        async with self._lock:
            return await self._put(self._endpoints.connect_url, self.answers[command_uuid],
                                   CONNECT_CONTENT_TYPE)

    async def close(self) -> None:
        for task in (self._task, self._user_task):
            if task is not None and not task.done():
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)

    async def _session(self) -> bool:
        """Idle, then answer commands until the server has none; True if any was declined."""
        report, declined = idle_report(self.device), False
        while self.device.state.enrolled:
            try:
                response = await self._put(
                    self._endpoints.connect_url, report, CONNECT_CONTENT_TYPE
                )
            except httpx.HTTPError as exc:
                self.http_errors.append(f"connect: {type(exc).__name__}")
                return declined
            if response.status_code != 200:
                self.http_errors.append(f"connect: HTTP {response.status_code}")
                return declined
            if not response.content.strip():
                return declined  # empty 200: nothing queued
            try:
                command = plistlib.loads(response.content)
            except Exception:  # a real device drops a reply it cannot read
                self.http_errors.append("connect: unreadable command plist")
                return declined
            if not isinstance(command, dict):
                self.http_errors.append("connect: command plist is not a dict")
                return declined
            low, high = self._behaviour.latency_s
            if high > 0:
                await asyncio.sleep(self._rng.uniform(low, high))
            not_now = self._rng.random() < self._behaviour.not_now_probability or (
                self._behaviour.not_now_except is not None
                and _request_type(command) not in self._behaviour.not_now_except)
            result = answer(self.device, command, not_now=not_now)
            declined |= not_now
            if result.erase_after_sending:
                await self._acknowledge_then_erase(result.report)
                return False
            if result.unenroll_after_sending:
                await self._acknowledge_then_unenroll(result.report)
                return False
            report = result.report
            self.answers[report["CommandUUID"]] = report
        return declined

    async def _acknowledge_then_erase(self, report: dict[str, Any]) -> None:
        try:  # the reply is ignored: the device is already erasing
            await self._put(self._endpoints.connect_url, report, CONNECT_CONTENT_TYPE)
        except httpx.HTTPError as exc:
            self.http_errors.append(f"erase acknowledgement: {type(exc).__name__}")
        log.info("device %s erased", self.device.udid)
        self.device.erase()


    async def _acknowledge_then_unenroll(self, report: dict[str, Any]) -> None:
        """The enrollment profile was removed: the answer goes out, then the CheckOut the
        profile asks for (CheckOutWhenRemoved), and the device never connects again."""
        try:  # the reply is ignored: the profile is already being removed
            await self._put(self._endpoints.connect_url, report, CONNECT_CONTENT_TYPE)
            if self.device.check_out_when_removed:
                await self._checkin(self.device.checkout_message())
        except (httpx.HTTPError, EnrollmentFailed) as exc:
            self.http_errors.append(f"unenroll: {type(exc).__name__}")
        log.info("device %s removed from management", self.device.udid)
        self.device.remove_management()


def _request_type(command: dict[str, Any]) -> str:
    cmd = command.get("Command")
    return str(cmd.get("RequestType", "")) if isinstance(cmd, dict) else ""
