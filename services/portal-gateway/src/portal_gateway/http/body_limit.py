"""A size cap on every request body but uploads: 413 problem+json before a huge body is read.

JSON and form bodies here are small (a login, a command, an admin edit), yet the app would read
any size whole before validating it. This plain ASGI layer refuses a declared Content-Length
over the cap without reading a byte, and otherwise reads at most cap + 1 bytes before refusing.
CSV uploads (multipart/form-data) stream to disk under their own, larger cap (uploads.py).
"""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from portal_gateway.http.problems import PROBLEM_JSON

UPLOAD_TYPE = b"multipart/form-data"


def _header(scope: Scope, name: bytes) -> bytes:
    return next((v for k, v in scope.get("headers", ()) if k.lower() == name), b"")


class BodyLimit:
    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or _header(scope, b"content-type").lower().startswith(
                UPLOAD_TYPE):
            await self.app(scope, receive, send)
            return
        declared = _header(scope, b"content-length")
        if declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(scope, send)
            return
        body, more = bytearray(), True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body += message.get("body", b"")
            more = message.get("more_body", False)
            if len(body) > self.max_bytes:  # a chunked body that says nothing up front
                await self._refuse(scope, send)
                return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()  # after the body: wait for the disconnect as usual
            replayed = True
            return {"type": "http.request", "body": bytes(body), "more_body": False}

        await self.app(scope, replay, send)

    async def _refuse(self, scope: Scope, send: Send) -> None:
        body = json.dumps({
            "type": "urn:ssp:problem:too_large", "title": "Request failed", "status": 413,
            "detail": f"The request body is larger than {self.max_bytes} bytes.",
            "instance": scope.get("path", ""), "code": "too_large"}).encode()
        await send({"type": "http.response.start", "status": 413, "headers": [
            (b"content-type", PROBLEM_JSON.encode()), (b"content-length", str(len(body)).encode()),
            (b"connection", b"close")]})
        await send({"type": "http.response.body", "body": body})
