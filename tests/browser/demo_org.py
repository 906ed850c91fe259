"""This run's demo organisation: its users' password, the portal's address, its devices."""

from __future__ import annotations

import contextlib
import secrets
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import httpx
from ssp_simulators.android import SimulatedAndroidDevice
from ssp_simulators.apple.device import SimulatedDevice

from tests.support.android import android_id


@dataclass
class DemoOrg:
    org: str = field(default_factory=lambda: f"web{uuid.uuid4().hex[:8]}")
    password: str = field(default_factory=lambda: secrets.token_urlsafe(12))  # every user's
    url: str = ""  # the gateway
    iphones: list[SimulatedDevice] = field(default_factory=list)
    android: SimulatedAndroidDevice | None = None
    owners: dict[str, str] = field(default_factory=dict)  # device id -> demo username

    def user_id(self, username: str) -> str:
        return f"{self.org}-{username}"  # the permission-service's demo user ids

    @property
    def android_id(self) -> str:
        assert self.android is not None
        return android_id(self.android.name)

    @contextlib.asynccontextmanager
    async def api_session(self, username: str) -> AsyncIterator[httpx.AsyncClient]:
        """A client of the portal's JSON API signed in as `username`, sending its CSRF token
        with every request."""
        async with httpx.AsyncClient(base_url=self.url, timeout=30) as client:
            login = await client.post("/api/v1/session", json={
                "username": username, "password": self.password, "org": self.org})
            assert login.status_code == 200, f"{username} cannot sign in: {login.text}"
            client.headers["X-CSRF-Token"] = login.json()["csrf_token"]
            yield client
