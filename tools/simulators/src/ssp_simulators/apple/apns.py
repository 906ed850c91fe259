"""A local stand-in for APNs: accepts MDM pushes over HTTP/2 cleartext (h2c) and wakes devices.

Served by hypercorn, which speaks HTTP/2 with prior knowledge on a plain socket (and HTTP/1.1
for clients that do not), so the dispatcher's real HTTP/2 push client works against it.
"""

from __future__ import annotations

import asyncio
import json
import socket
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from hypercorn.asyncio import serve
from hypercorn.config import Config
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route


@dataclass(frozen=True)
class ReceivedPush:
    token_hex: str
    topic: str | None
    push_magic: str | None
    http_version: str
    status: int
    reason: str | None


# Decides what APNs answers for a well-formed push: (status, reason or None). It also wakes
# the device, since a real APNs delivers asynchronously after answering 200.
Deliver = Callable[[bytes, str, str], tuple[int, str | None]]


def _push_magic(body: bytes) -> str | None:
    try:
        payload = json.loads(body)
    except ValueError:
        return None
    # MDM pushes carry exactly {"mdm": PushMagic}; anything else is not an MDM wake-up.
    if isinstance(payload, dict) and set(payload) == {"mdm"} and isinstance(payload["mdm"], str):
        return payload["mdm"]
    return None


class StandInApns:
    def __init__(self, deliver: Deliver) -> None:
        self._deliver = deliver
        self.received: list[ReceivedPush] = []
        self.app = Starlette(routes=[Route("/3/device/{token}", self._push, methods=["POST"])])
        self._stop = asyncio.Event()
        self._server: asyncio.Task[None] | None = None
        self.port = 0

    def _check(
        self, request: Request, token: bytes | None, magic: str | None
    ) -> tuple[int, str | None]:
        if request.headers.get("apns-push-type") != "mdm":
            return 400, "InvalidPushType"
        if not request.headers.get("apns-topic"):
            return 400, "MissingTopic"
        if token is None:
            return 400, "BadDeviceToken"
        if magic is None:
            return 400, "PayloadEmpty"
        return 200, None

    async def _push(self, request: Request) -> Response:
        token_hex = request.path_params["token"]
        try:
            token: bytes | None = bytes.fromhex(token_hex)
        except ValueError:
            token = None
        magic = _push_magic(await request.body())
        topic = request.headers.get("apns-topic")
        status, reason = self._check(request, token, magic)
        if status == 200 and token is not None and topic and magic is not None:
            status, reason = self._deliver(token, topic, magic)
        self.received.append(ReceivedPush(
            token_hex, topic, magic, request.scope.get("http_version", "?"), status, reason,
        ))
        apns_id = request.headers.get("apns-id") or str(uuid.uuid4()).upper()
        headers = {"apns-id": apns_id}
        if status == 200:
            return Response(status_code=200, headers=headers)
        return JSONResponse({"reason": reason}, status_code=status, headers=headers)

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> int:
        """Listen on host:port (0 = any free port) and return the port."""
        # Bind here rather than in hypercorn so port 0 works and the port is known at once.
        sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(128)  # connections queue from now on, so callers can push immediately
        self.port = sock.getsockname()[1]
        config = Config()
        config.bind = [f"fd://{sock.detach()}"]  # hypercorn owns the socket from here
        config.accesslog = None
        config.loglevel = "WARNING"
        config.graceful_timeout = 1.0
        self._stop.clear()
        self._server = asyncio.get_running_loop().create_task(
            serve(self.app, config, shutdown_trigger=self._stop.wait)  # type: ignore[arg-type]
        )
        return self.port

    async def stop(self) -> None:
        self._stop.set()
        if self._server is not None:
            await asyncio.gather(self._server, return_exceptions=True)
            self._server = None
