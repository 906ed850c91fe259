"""The AMAPI stand-in served by uvicorn inside the test, and a dispatcher pointed at it."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

import httpx
import uvicorn
from ssp_devstack.processes import ServiceProcess, free_port
from ssp_simulators.android import AmapiState, create_app
from ssp_simulators.android.app import DEFAULT_TOKEN
from ssp_simulators.android.fleet import DEFAULT_ENTERPRISE, populated_state
from starlette.types import ASGIApp, Receive, Scope, Send


@dataclass
class AmapiStandIn:
    state: AmapiState
    base_url: str  # ends in /v1, as SSP_AMAPI_BASE_URL wants it
    statuses: list[int] = field(default_factory=list)  # every HTTP status it answered

    def dispatcher_env(self, **extra: str) -> dict[str, str]:
        return {"SSP_AMAPI_BASE_URL": self.base_url, "SSP_AMAPI_TOKEN": DEFAULT_TOKEN,
                "SSP_AMAPI_ENTERPRISE": DEFAULT_ENTERPRISE, "SSP_ANDROID_SYNC_INTERVAL_S": "0.5",
                "SSP_ANDROID_POLL_INITIAL_S": "0.2", "SSP_ANDROID_RESUME_INTERVAL_S": "1",
                "SSP_DEMO_MODE": "true", **extra}


    async def exhaust_quota(self) -> None:
        """Spend the stand-in's quota window, so the next caller hears 429."""
        async with httpx.AsyncClient(headers={"Authorization": f"Bearer {DEFAULT_TOKEN}"}) as http:
            for _ in range(1000):
                answer = await http.get(f"{self.base_url}/{DEFAULT_ENTERPRISE}/devices")
                if answer.status_code == 429:
                    return
        raise AssertionError("the stand-in has no quota to exhaust")


class _StatusRecorder:
    def __init__(self, app: ASGIApp, statuses: list[int]) -> None:
        self.app, self.statuses = app, statuses

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def recording_send(message: dict) -> None:  # type: ignore[type-arg]
            if message["type"] == "http.response.start":
                self.statuses.append(message["status"])
            await send(message)

        await self.app(scope, receive, recording_send)


@contextlib.asynccontextmanager
async def amapi_stand_in(devices: int = 3, *, delay_s: float = 0.3, quota: int | None = None,
                         quota_window_s: float = 100.0) -> AsyncIterator[AmapiStandIn]:
    """A simulated enterprise (fully managed, personal work profile, company-owned, ...)."""
    state = populated_state(devices, completion_delay_s=delay_s)
    statuses: list[int] = []
    app = _StatusRecorder(create_app(state, quota=quota, quota_window_s=quota_window_s),
                          statuses)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))  # bound here, so the port is known before uvicorn starts
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.02)
    try:
        yield AmapiStandIn(state, f"http://127.0.0.1:{port}/v1", statuses)
    finally:
        server.should_exit = True
        await task
        sock.close()


def android_id(name: str) -> str:
    return "android-" + name.rsplit("/", 1)[1]


async def start_dispatcher(services: Callable[..., ServiceProcess], amapi: AmapiStandIn,
                           **env: str) -> ServiceProcess:
    return services("command_dispatcher", args=["--platform", "android"],
                    **amapi.dispatcher_env(SSP_DEVICE_HTTP_PORT=str(free_port()), **env))
