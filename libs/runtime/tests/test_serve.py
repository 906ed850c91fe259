"""`/readyz` waits for the extra listeners (e.g. the dispatcher's device endpoints)."""

from __future__ import annotations

import httpx
from ssp_runtime.serve import ReadyWhenListening, loop_factory
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route


async def _ready(_: object) -> JSONResponse:
    return JSONResponse({"status": "ready"})


def _client(listening: list[bool]) -> httpx.AsyncClient:
    app = Starlette(routes=[Route("/readyz", _ready), Route("/healthz", _ready)])
    wrapped = ReadyWhenListening(app, lambda: listening[0])
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=wrapped), base_url="http://t")


async def test_readyz_is_503_until_the_extra_listeners_accept() -> None:
    listening = [False]
    async with _client(listening) as client:
        starting = await client.get("/readyz")
        assert starting.status_code == 503
        assert starting.json()["checks"] == {"listeners": "starting"}
        assert (await client.get("/healthz")).status_code == 200  # alive all along
        listening[0] = True
        ready = await client.get("/readyz")
        assert ready.status_code == 200
        assert ready.json() == {"status": "ready"}


def test_the_event_loop_is_uvloop_unless_asyncio_is_asked_for() -> None:
    import asyncio

    import uvloop

    assert loop_factory("asyncio") is None
    for choice in ("auto", "uvloop"):
        factory = loop_factory(choice)
        assert factory is not None
        loop = factory()
        try:
            assert isinstance(loop, uvloop.Loop)
            assert loop.run_until_complete(asyncio.sleep(0, "ran")) == "ran"
        finally:
            loop.close()
