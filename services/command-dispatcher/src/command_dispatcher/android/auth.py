"""Who the AMAPI client says it is: a service account in production, a fixed token in tests."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any, Protocol

import httpx
from google.auth import exceptions as google_exceptions
from google.auth import transport as google_transport
from google.oauth2 import service_account

SCOPE = "https://www.googleapis.com/auth/androidmanagement"


class AuthProvider(Protocol):
    async def authorization(self) -> str:
        """The value of the Authorization header for the next request."""
        ...

    def invalidate(self) -> None:
        """Forget the current token (after a 401), so the next call fetches a new one."""
        ...


class StaticToken:
    """A fixed bearer token: the AMAPI simulator, or a token minted elsewhere."""

    def __init__(self, token: str) -> None:
        self._token = token

    async def authorization(self) -> str:
        return f"Bearer {self._token}"

    def invalidate(self) -> None:
        pass  # nothing to refresh; a second 401 surfaces as an error


class _Response(google_transport.Response):
    def __init__(self, response: httpx.Response) -> None:
        self._response = response

    @property
    def status(self) -> int:
        return self._response.status_code

    @property
    def headers(self) -> Mapping[str, str]:
        return self._response.headers

    @property
    def data(self) -> bytes:
        return self._response.content


class _HttpxTransport(google_transport.Request):
    """google-auth's token requests over httpx (the project ships no `requests`)."""

    def __init__(self, timeout_s: float = 30.0) -> None:
        self._timeout_s = timeout_s

    def __call__(
        self, url: str, method: str = "GET", body: bytes | None = None,
        headers: Mapping[str, str] | None = None, timeout: float | None = None, **kwargs: Any,
    ) -> google_transport.Response:
        try:
            with httpx.Client(timeout=timeout or self._timeout_s) as client:
                response = client.request(method, url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            raise google_exceptions.TransportError(str(exc)) from exc
        return _Response(response)


class ServiceAccountAuth:
    """OAuth 2 access tokens for a service account, refreshed shortly before they expire."""

    def __init__(self, credentials: service_account.Credentials) -> None:
        self._credentials = credentials
        self._lock = asyncio.Lock()  # one refresh at a time; waiters reuse its token
        self._transport = _HttpxTransport()

    @classmethod
    def from_file(cls, path: str) -> ServiceAccountAuth:
        return cls(service_account.Credentials.from_service_account_file(path, scopes=[SCOPE]))

    @classmethod
    def from_info(cls, info: Mapping[str, Any]) -> ServiceAccountAuth:
        return cls(service_account.Credentials.from_service_account_info(info, scopes=[SCOPE]))

    async def authorization(self) -> str:
        async with self._lock:
            # `valid` is False shortly before expiry (google-auth's clock skew margin).
            if not self._credentials.valid:
                loop = asyncio.get_running_loop()
                # google-auth is synchronous; a refresh in the event loop would stall every call.
                await loop.run_in_executor(None, self._credentials.refresh, self._transport)
            return f"Bearer {self._credentials.token}"

    def invalidate(self) -> None:
        self._credentials.token = None
