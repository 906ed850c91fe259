"""Headers every response gets: no sniffing, no framing, own scripts only, no caching of
personal data. Plain ASGI (not BaseHTTPMiddleware), so streamed SSE responses pass untouched."""

from __future__ import annotations

from collections.abc import Iterable

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send


def content_security_policy(script_hashes: Iterable[str] = (),
                            image_origins: Iterable[str] = ()) -> str:
    """Own scripts, styles and images only; `script_hashes` allow known inline scripts,
    `image_origins` other image servers (the map's tiles)."""
    scripts = " ".join(["'self'", *script_hashes])
    images = " ".join(["'self'", "data:", *image_origins])
    return (f"default-src 'self'; script-src {scripts}; style-src 'self'; "
            f"img-src {images}; connect-src 'self'; form-action 'self'; "
            "frame-ancestors 'none'; base-uri 'none'")


class SecurityHeaders:
    def __init__(self, app: ASGIApp, policy: str | None = None) -> None:
        self.app = app
        self.policy = policy or content_security_policy()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("X-Content-Type-Options", "nosniff")
                headers.setdefault("Referrer-Policy", "same-origin")
                headers.setdefault("X-Frame-Options", "DENY")
                headers.setdefault("Content-Security-Policy", self.policy)
                if not path.startswith("/static/"):
                    headers.setdefault("Cache-Control", "no-store")
            await send(message)

        await self.app(scope, receive, send_with_headers)
