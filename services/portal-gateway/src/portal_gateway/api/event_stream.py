"""Server-Sent Events: the caller's device and command changes, live."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse

from portal_gateway.domain.errors import NotAuthenticated
from portal_gateway.http.context import Gateway, gateway_of
from portal_gateway.http.cookies import session_secret
from portal_gateway.http.guards import PortalUser

router = APIRouter(tags=["events"])


async def _stream(gw: Gateway, user_id: str, secret: str | None) -> AsyncIterator[str]:
    with gw.live.listen(user_id) as queue:
        yield ": connected\n\n"
        while True:
            try:
                update = await asyncio.wait_for(queue.get(), gw.settings.sse_heartbeat_s)
            except TimeoutError:
                try:  # a revoked or expired session ends the stream at the next heartbeat
                    await gw.auth.caller(secret, gw.now(), touch=False)
                except NotAuthenticated:
                    yield "event: session_ended\ndata: {}\n\n"
                    return
                yield ": heartbeat\n\n"
                continue
            yield f"event: {update.kind}\ndata: {json.dumps(update.data)}\n\n"


@router.get("/events", response_class=StreamingResponse)
async def events(caller: PortalUser, request: Request) -> StreamingResponse:
    # No linked device needed yet: the device list listens here so that a newly linked device
    # appears without a reload.
    gw = gateway_of(request)
    return StreamingResponse(
        _stream(gw, caller.user_id, session_secret(request, gw.settings)),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})
