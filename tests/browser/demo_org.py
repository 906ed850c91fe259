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

FULL_ACCESS = "Self service portal - full access"
READ_ACCESS = "Self service portal - read access"


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

    async def create_user(self, username: str, role_name: str = FULL_ACCESS) -> str:
        """A new portal user with a built-in role and this run's password, made through the
        admin API; returns its user id."""
        async with self.api_session("admin") as admin:
            listed = await admin.get("/api/v1/admin/roles", params={"q": role_name})
            [role] = [r["role_id"] for r in listed.json()["data"]["items"]
                      if r["name"] == role_name]
            created = await admin.post("/api/v1/admin/users", json={
                "username": username, "password": self.password, "role_ids": [role]})
            assert created.status_code == 201, created.text
            return str(created.json()["data"]["user_id"])
