"""Security tests: the session's gateway process (tests/conftest.py) for the BOLA/BFLA matrix,
and one gateway app run in this process for what needs a hand on it: its clock (idle and
absolute expiry without waiting 30 minutes), the TCP peer address (login throttling,
X-Forwarded-For) and schemathesis' generated requests (ASGI, no sockets).
"""

from __future__ import annotations

import os
import random
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from unittest import mock

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from portal_gateway.app import create_app
from portal_gateway.http.context import Gateway
from portal_gateway.settings import Settings
from ssp_runtime.clock import utc_now

from tests.gateway.catch_up import wait_until_caught_up
from tests.gateway.portal_world import World
from tests.gateway.rpc_responder import RpcResponder
from tests.gateway.session_gateway import gateway_env
from tests.support.kafka import Producer

BASE_URL = "http://gateway.test"
TRUSTED_PROXIES = ("10.0.0.0/8",)
ADDRESS_LIMIT = 20


@dataclass
class InProcessGateway:
    app: FastAPI

    @property
    def gateway(self) -> Gateway:
        return self.app.state.gateway  # type: ignore[no-any-return]

    def transport(self, peer: str | None = None) -> httpx.ASGITransport:
        """Requests that arrive from `peer` (a random loopback address unless given)."""
        peer = peer or "127." + ".".join(str(random.randint(1, 254)) for _ in range(3))
        return httpx.ASGITransport(app=self.app, client=(peer, 40000))


@pytest.fixture(scope="package")
async def in_process(stack_env: dict[str, str], bootstrap: str,
                     responder: RpcResponder) -> AsyncIterator[InProcessGateway]:
    env = {**gateway_env(stack_env, uuid.uuid4().hex[:10]),
           "SSP_TRUSTED_PROXIES": f'["{TRUSTED_PROXIES[0]}"]',
           "SSP_LOGIN_ADDRESS_LIMIT": str(ADDRESS_LIMIT)}
    with mock.patch.dict(os.environ, env):
        settings = Settings()
    app = create_app(settings)
    async with LifespanManager(app, startup_timeout=90, shutdown_timeout=30):
        gw = InProcessGateway(app)
        await wait_until_caught_up(BASE_URL, bootstrap, responder, transport=gw.transport())
        yield gw


@pytest.fixture
async def local_world(in_process: InProcessGateway, responder: RpcResponder,
                      producer: Producer) -> AsyncIterator[World]:
    """A world whose browsers talk to the in-process gateway, each test from its own address."""
    w = World(producer, responder, BASE_URL, transport=in_process.transport())
    yield w
    await w.close()


@dataclass
class Clock:
    """The in-process gateway's clock, moved by hand."""

    offset: timedelta = field(default_factory=timedelta)
    frozen: datetime | None = None

    def __call__(self) -> datetime:
        return (self.frozen or utc_now()) + self.offset

    def advance(self, **delta: float) -> None:
        self.offset += timedelta(**delta)

    def freeze_at_window_start(self, window_s: int) -> None:
        """Stop at the start of a fixed rate window, so no count is split across two."""
        now = utc_now().timestamp()
        self.frozen = datetime.fromtimestamp(now - now % window_s + 1, tz=UTC) \
            + timedelta(seconds=window_s)


@pytest.fixture
def clock(in_process: InProcessGateway) -> Iterator[Clock]:
    fake = Clock()
    in_process.gateway.clock = fake
    yield fake
    in_process.gateway.clock = utc_now
