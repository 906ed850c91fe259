"""Several simulated Windows devices polling one server, each on its own session schedule."""

from __future__ import annotations

import asyncio
import itertools
import logging
import random

import httpx

from ssp_simulators.windows.certificate import DEFAULT_CERT_HEADER
from ssp_simulators.windows.device import SimulatedWindowsDevice, new_laptop
from ssp_simulators.windows.session import SessionError, SessionReport, run_session, unenroll

DEFAULT_PATH = "/mdm/windows/omadm"
log = logging.getLogger(__name__)


class WindowsFleet:
    def __init__(
        self, server: str, *, devices: int = 2, seed: int | None = None,
        path: str = DEFAULT_PATH, cert_header: str = DEFAULT_CERT_HEADER,
    ) -> None:
        self._rng = random.Random(seed)  # noqa: S311 - simulated hardware facts, not secrets
        self.url = server.rstrip("/") + path
        self.cert_header = cert_header
        self.devices: list[SimulatedWindowsDevice] = [
            new_laptop(self._rng) for _ in range(devices)
        ]

    async def run_sessions(self, client: httpx.AsyncClient) -> list[SessionReport | None]:
        """One session per device, concurrently; a device whose server fails reports None."""
        async def one(device: SimulatedWindowsDevice) -> SessionReport | None:
            try:
                return await run_session(device, client, self.url,
                                         cert_header=self.cert_header, rng=self._rng)
            except SessionError as exc:
                log.warning("device %s: %s", device.device_id, exc)
                return None

        return list(await asyncio.gather(*(one(device) for device in self.devices)))

    async def poll(self, interval_s: float, *, unenroll_after: int | None = None) -> None:
        """A session per device every `interval_s` seconds until cancelled, as Windows polls.

        With `unenroll_after`, the last device's user disconnects it after that many rounds:
        it sends the unenrollment alert and never opens a session again.
        """
        async with httpx.AsyncClient(timeout=30.0) as client:
            for round_no in itertools.count(1):
                for device, report in zip(self.devices, await self.run_sessions(client),
                                          strict=True):
                    if report is not None and report.commands_run:
                        log.info("device %s ran %d commands in session %s%s", device.device_id,
                                 report.commands_run, report.session_id,
                                 " and wiped itself" if report.wiped else "")
                if round_no == unenroll_after and self.devices:
                    await self._unenroll(self.devices[-1], client)
                await asyncio.sleep(interval_s)

    async def _unenroll(self, device: SimulatedWindowsDevice, client: httpx.AsyncClient) -> None:
        try:
            code = await unenroll(device, client, self.url, cert_header=self.cert_header)
            log.info("device %s unenrolled (server answered HTTP %d)", device.device_id, code)
        except SessionError as exc:
            log.warning("device %s: %s", device.device_id, exc)
