"""Building a small world for one test: an org, users, devices, a logged-in browser.

Accounts and devices reach the gateway the way they do in production: as UserAccess and
DeviceSnapshot events on Kafka (here produced by the test, as other systems may do).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
from ssp_contracts.access import UserAccess
from ssp_contracts.capabilities import PLATFORM_OF_MODE
from ssp_contracts.devices import DeviceIdentifiers, DeviceOwner, DeviceSnapshot
from ssp_contracts.enums import LinkSource, ManagementMode, Permission
from ssp_contracts.topics import ACCESS, DEVICES

from tests.gateway.rpc_responder import Account, RpcResponder
from tests.support.kafka import Producer
from tests.support.waiting import eventually

ALL_SELF_SERVICE = [p.value for p in Permission if p is not Permission.ADMIN]


def display_name(account: Account) -> str:
    """Only the access projection knows it (the login verdict does not carry it)."""
    return f"Name of {account.username}"


@dataclass
class Browser:
    """One user's HTTP client with its cookie jar and CSRF token."""

    http: httpx.AsyncClient
    account: Account
    csrf: str = ""

    async def login(self, password: str | None = None) -> httpx.Response:
        resp = await self.http.post("/api/v1/session", json={
            "username": self.account.username, "password": password or self.account.password,
            "org": self.account.org_id})
        if resp.status_code == 200:
            self.csrf = resp.json()["csrf_token"]
        return resp

    async def post(self, path: str, body: Any = None, **headers: str) -> httpx.Response:
        return await self.http.post(path, json=body, headers={"X-CSRF-Token": self.csrf,
                                                              **headers})

    async def command(self, device_id: str, action: str, params: dict[str, Any] | None = None,
                      **extra: Any) -> httpx.Response:
        headers = extra.pop("headers", {})
        return await self.post(f"/api/v1/devices/{device_id}/commands",
                               {"action": action, "params": params or {}, **extra}, **headers)


@dataclass
class World:
    producer: Producer
    responder: RpcResponder
    base_url: str
    org_id: str = field(default_factory=lambda: f"org-{uuid.uuid4().hex[:8]}")
    clients: list[httpx.AsyncClient] = field(default_factory=list)
    transport: httpx.AsyncBaseTransport | None = None  # an in-process app (ASGI) instead

    async def user(self, permissions: list[str] | None = None, *, version: int = 1,
                   enabled: bool = True) -> Account:
        perms = ALL_SELF_SERVICE if permissions is None else permissions
        account = Account(user_id=f"u-{uuid.uuid4().hex[:10]}", org_id=self.org_id,
                          username=f"user-{uuid.uuid4().hex[:8]}", password=uuid.uuid4().hex,
                          permissions=perms)
        self.responder.register(account)
        await self.publish_access(account, version=version, enabled=enabled)
        return account

    async def publish_access(self, account: Account, *, version: int, enabled: bool = True,
                             deleted: bool = False) -> None:
        await self.producer.send_event(ACCESS, UserAccess(
            org_id=account.org_id, user_id=account.user_id, version=version,
            username=account.username, display_name=display_name(account),
            enabled=enabled, deleted=deleted,
            permissions=account.permissions))  # type: ignore[arg-type]

    async def device(self, owner: Account | None, *, mode: str = "ios_supervised",
                     version: int = 1, **fields: Any) -> DeviceSnapshot:
        device_id = fields.pop("device_id", f"dev-{uuid.uuid4().hex[:10]}")
        snapshot = DeviceSnapshot(
            org_id=self.org_id, device_id=device_id, version=version,
            platform=PLATFORM_OF_MODE[ManagementMode(mode)], management_mode=ManagementMode(mode),
            identifiers=DeviceIdentifiers(serial_number=f"SN{uuid.uuid4().hex[:8].upper()}"),
            name=fields.pop("name", f"Phone {device_id[-4:]}"),
            model=fields.pop("model", "iPhone 15"),
            os_version="18.1", battery_level=0.8, last_contact_at=datetime.now(UTC),
            owner=None if owner is None else DeviceOwner(
                user_id=owner.user_id, username=owner.username, linked_at=datetime.now(UTC),
                source=LinkSource.MANUAL),
            **fields)
        await self.producer.send_event(DEVICES, snapshot)
        return snapshot

    async def browser(self, account: Account, *, login: bool = True) -> Browser:
        http = self.http_client()
        browser = Browser(http, account)
        if login:
            resp = await browser.login()
            assert resp.status_code == 200, resp.text
        return browser

    def client_with_session(self, session_cookie: str | None) -> httpx.AsyncClient:
        """A separate client presenting an old session id (as a thief replaying it would)."""
        return self.http_client(cookies={"ssp_session": session_cookie or ""})

    def http_client(self, **options: Any) -> httpx.AsyncClient:
        """A client of this world's gateway, closed with the world."""
        http = httpx.AsyncClient(base_url=self.base_url, timeout=30, transport=self.transport,
                                 **options)
        self.clients.append(http)
        return http

    async def sees_device(self, browser: Browser, device_id: str, **expect: Any) -> dict:
        """Wait until the gateway has projected the device (as the owner sees it)."""
        async def probe() -> dict | None:
            resp = await browser.http.get(f"/api/v1/devices/{device_id}")
            if resp.status_code != 200:
                return None
            body = resp.json()
            return body if all(body.get(k) == v for k, v in expect.items()) else None
        return await eventually(probe, timeout_s=20, what=f"device {device_id} projected")

    async def owner_with_phone(self, *, stepped_up: bool = False,
                               ) -> tuple[Account, DeviceSnapshot, Browser]:
        """A new user with one iPhone, logged in, the phone projected (and a fresh step-up)."""
        owner = await self.user()
        phone = await self.device(owner)
        b = await self.browser(owner)
        await self.sees_device(b, phone.device_id)
        if stepped_up:
            resp = await b.post("/api/v1/session/reauth", {"password": owner.password})
            assert resp.is_success, resp.text
        return owner, phone, b

    async def knows_access(self, browser: Browser, **expect: Any) -> dict:
        """Wait until the gateway has projected the browser's account from ssp.access."""
        expect.setdefault("display_name", display_name(browser.account))

        async def probe() -> dict | None:
            resp = await browser.http.get("/api/v1/me")
            body = resp.json() if resp.status_code == 200 else None
            return body if body and all(body.get(k) == v for k, v in expect.items()) else None
        return await eventually(probe, timeout_s=20, what="access projected")

    async def close(self) -> None:
        for client in self.clients:
            await client.aclose()
