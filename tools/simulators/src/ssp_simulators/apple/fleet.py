"""A fleet of simulated iPhones and Macs, their HTTP client and the stand-in APNs they listen on."""

from __future__ import annotations

import asyncio
import logging
import random

import httpx

from ssp_simulators.apple.apns import StandInApns
from ssp_simulators.apple.device import DEFAULT_TOPIC, SimulatedDevice, new_iphone, new_mac
from ssp_simulators.apple.session import POWER_NAP, Behaviour, DeviceSession, Endpoints

log = logging.getLogger(__name__)

# The names the extra devices enroll with (Authenticate's DeviceName), so people and
# `make run`'s demo seed can tell them apart.
POWER_NAP_MAC_NAME = "Mac in Power Nap"
SERVER_URL_ONLY_NAME = "iPhone without CheckInURL"


class AppleFleet:
    """Start it, point the dispatcher's APNs base URL at `apns_url`, then push to wake devices."""

    def __init__(
        self,
        server: str,
        *,
        iphones: int = 3,
        unsupervised_iphones: int = 0,
        macs: int = 1,
        apns_host: str = "127.0.0.1",
        apns_port: int = 0,
        topic: str = DEFAULT_TOPIC,
        behaviour: Behaviour | None = None,
        seed: int | None = None,
        timeout_s: float = 10.0,
        checkin_url: bool = True,
        power_nap_macs: int = 0,
        server_url_only_iphones: int = 0,
    ) -> None:
        """`power_nap_macs`: extra Macs in Power Nap (`POWER_NAP`); `server_url_only_iphones`:
        extra supervised iPhones whose profile has no CheckInURL (check-ins to the ServerURL).
        They come after the others, so a seed still gives the others the same identities."""
        self._rng = random.Random(seed)  # noqa: S311  simulation data, not secrets
        self.devices: list[SimulatedDevice] = (
            [new_iphone(self._rng, supervised=True, topic=topic) for _ in range(iphones)]
            + [new_iphone(self._rng, supervised=False, topic=topic)
               for _ in range(unsupervised_iphones)]
            + [new_mac(self._rng, topic=topic) for _ in range(macs)]
        )
        self._endpoints = Endpoints.for_server(server, checkin_url=checkin_url)
        self._behaviour = behaviour or Behaviour()
        self.power_nap = [new_mac(self._rng, topic=topic) for _ in range(power_nap_macs)]
        self.server_url_only = [new_iphone(self._rng, supervised=True, topic=topic)
                                for _ in range(server_url_only_iphones)]
        for device in self.power_nap:
            device.device_name = POWER_NAP_MAC_NAME
        for device in self.server_url_only:
            device.device_name = SERVER_URL_ONLY_NAME
        self.devices += self.power_nap + self.server_url_only
        self._own_endpoints = {d.udid: Endpoints.for_server(server, checkin_url=False)
                               for d in self.server_url_only}
        self._own_behaviour = {d.udid: POWER_NAP for d in self.power_nap}
        self._apns_host, self._apns_port = apns_host, apns_port
        self._timeout_s = timeout_s
        self.apns = StandInApns(self._deliver)
        self._http: httpx.AsyncClient | None = None
        self._sessions: dict[str, DeviceSession] = {}
        self.offline: set[str] = set()  # UDIDs of devices that are switched off

    @property
    def apns_url(self) -> str:
        """Base URL for the dispatcher's APNs client (HTTP/2 cleartext, prior knowledge)."""
        return f"http://{self._apns_host}:{self.apns.port}"

    def device(self, udid: str) -> SimulatedDevice:
        return self._sessions[udid].device

    def session(self, device: SimulatedDevice) -> DeviceSession:
        return self._sessions[device.udid]

    async def start(self, *, enroll: bool = True) -> None:
        """Start the stand-in APNs, then enroll every device (failures are logged, not raised)."""
        self._http = httpx.AsyncClient(timeout=self._timeout_s)
        for device in self.devices:
            session = DeviceSession(
                device, self._http, self._own_endpoints.get(device.udid, self._endpoints),
                self._own_behaviour.get(device.udid, self._behaviour), self._rng)
            self._sessions[device.udid] = session
        await self.apns.start(self._apns_host, self._apns_port)
        if enroll:
            await self.enroll_pending()

    async def enroll_pending(self) -> list[SimulatedDevice]:
        """Enroll every device that is not enrolled; return those that still are not."""
        pending = [d for d in self.devices if not d.state.enrolled]
        outcomes = await asyncio.gather(
            *(self._sessions[d.udid].enroll() for d in pending), return_exceptions=True
        )
        failures = [o for o in outcomes if isinstance(o, BaseException)]
        if failures:  # one line per round: a server that is not up yet fails them all alike
            log.warning("%d of %d enrollments failed, e.g. %s: %s", len(failures), len(pending),
                        type(failures[0]).__name__, failures[0])
        return [d for d in pending if not d.state.enrolled]

    async def enroll(self, device: SimulatedDevice) -> None:
        await self._sessions[device.udid].enroll()

    async def reenroll(self, device: SimulatedDevice) -> None:
        """Enroll again with a new identity, without a CheckOut first."""
        await self._sessions[device.udid].reenroll()

    async def unenroll(self, device: SimulatedDevice) -> None:
        await self._sessions[device.udid].unenroll()

    async def connect(self, device: SimulatedDevice) -> None:
        """Poll now, as if a push had arrived, and wait for the session to finish."""
        await self._sessions[device.udid].connect()

    async def connect_user(self, device: SimulatedDevice) -> None:
        """The user channel polls now (as at login) and finishes its session."""
        session = self._sessions[device.udid]
        session.wake_user()
        if session._user_task is not None:
            await session._user_task

    def go_offline(self, device: SimulatedDevice) -> None:
        """Switched off: APNs still accepts pushes for it, but it does not connect."""
        self.offline.add(device.udid)

    async def come_online(self, device: SimulatedDevice) -> None:
        """Switched on again: it connects once, as a device does after a restart."""
        self.offline.discard(device.udid)
        await self.connect(device)

    def _deliver(self, token: bytes, topic: str, push_magic: str) -> tuple[int, str | None]:
        user = next((d for d in self.devices if d.user_push_token == token and token), None)
        if user is not None and user.state.enrolled and push_magic == user.user_push_magic:
            self._sessions[user.udid].wake_user()
            return 200, None
        device = next((d for d in self.devices if d.push_token and d.push_token == token), None)
        if device is None:
            if any(token in d.retired_tokens for d in self.devices):
                return 410, "Unregistered"  # wiped or re-enrolled since
            return 400, "BadDeviceToken"
        if topic != device.topic:
            return 400, "DeviceTokenNotForTopic"
        if not device.state.enrolled:
            return 410, "Unregistered"  # the app (MDM profile) is gone from the device
        if push_magic == device.push_magic and device.udid not in self.offline:
            self._sessions[device.udid].wake()
        # A wrong PushMagic is accepted by APNs and ignored by the device, as in reality.
        return 200, None

    async def stop(self) -> None:
        await asyncio.gather(*(s.close() for s in self._sessions.values()))
        await self.apns.stop()
        if self._http is not None:
            await self._http.aclose()
            self._http = None

    async def __aenter__(self) -> AppleFleet:
        await self.start()
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.stop()
