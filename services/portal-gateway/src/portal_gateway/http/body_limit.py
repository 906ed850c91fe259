"""A size cap on every request body but uploads: 413 problem+json before a huge body is read.

JSON and form bodies here are small (a login, a command, an admin edit), yet the app would read
any size whole before validating it. The edge (edge.py) refuses a declared Content-Length over
the cap without reading a byte, and otherwise reads at most cap + 1 bytes before refusing.
CSV uploads (multipart/form-data) stream to disk under their own, larger cap (uploads.py).
"""

from __future__ import annotations

import json

from starlette.types import Message, Receive, Scope, Send

from portal_gateway.http.problems import PROBLEM_JSON

UPLOAD_TYPE = b"multipart/form-data"
# Methods whose requests carry no body unless a header announces one.
BODYLESS_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class BodyTooLarge(Exception):
    """The request body is over the cap (declared or read so far)."""


def _headers(scope: Scope) -> dict[bytes, bytes]:
    return {k.lower(): v for k, v in scope.get("headers", ())}


async def read_capped(scope: Scope, receive: Receive, max_bytes: int) -> Receive | None:
    """A `receive` that replays the body read here (or `receive` itself when there is nothing
    to cap); None when the client left while sending. Raises `BodyTooLarge`."""
    headers = _headers(scope)
    declared = headers.get(b"content-length")
    if headers.get(b"content-type", b"").lower().startswith(UPLOAD_TYPE) or (
            scope["method"] in BODYLESS_METHODS and declared is None
            and b"transfer-encoding" not in headers):
        return receive
    if declared is not None and declared.isdigit() and int(declared) > max_bytes:
        raise BodyTooLarge
    body, more = bytearray(), True
    while more:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        body += message.get("body", b"")
        more = message.get("more_body", False)
        if len(body) > max_bytes:  # a chunked body that says nothing up front
            raise BodyTooLarge
    replayed = False

    async def replay() -> Message:
        nonlocal replayed
        if replayed:
            return await receive()  # after the body: wait for the disconnect as usual
        replayed = True
        return {"type": "http.request", "body": bytes(body), "more_body": False}

    return replay


async def refuse_too_large(scope: Scope, send: Send, max_bytes: int) -> None:
    body = json.dumps({
        "type": "urn:ssp:problem:too_large", "title": "Request failed", "status": 413,
        "detail": f"The request body is larger than {max_bytes} bytes.",
        "instance": scope.get("path", ""), "code": "too_large"}).encode()
    await send({"type": "http.response.start", "status": 413, "headers": [
        (b"content-type", PROBLEM_JSON.encode()), (b"content-length", str(len(body)).encode()),
        (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})
