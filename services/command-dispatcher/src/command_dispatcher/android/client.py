"""An async client for the Android Management API calls the portal needs, nothing more."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import httpx
from google.auth import exceptions as google_exceptions

from command_dispatcher.android.auth import AuthProvider
from command_dispatcher.android.errors import AmapiTransientError, InvalidParameters
from command_dispatcher.android.http_errors import to_amapi_error
from command_dispatcher.android.quota import TokenBucket

DEFAULT_BASE_URL = "https://androidmanagement.googleapis.com/v1"

# Resource names go into the URL path: anything but these shapes could address another resource.
_SEGMENT = r"[A-Za-z0-9_\-]+"
_ENTERPRISE = re.compile(rf"enterprises/{_SEGMENT}")
_DEVICE = re.compile(rf"enterprises/{_SEGMENT}/devices/{_SEGMENT}")
_OPERATION = re.compile(rf"enterprises/{_SEGMENT}/devices/{_SEGMENT}/operations/{_SEGMENT}")


def _checked(pattern: re.Pattern[str], name: str) -> str:
    if not pattern.fullmatch(name):
        raise InvalidParameters("amapi.invalid_name", f"not a valid resource name: {name!r}")
    return name


@dataclass(frozen=True)
class DevicePage:
    devices: list[dict[str, Any]]
    next_page_token: str | None


class AmapiClient:
    """One instance per process; share it (and its quota) between all consumers."""

    def __init__(
        self,
        auth: AuthProvider,
        *,
        base_url: str = DEFAULT_BASE_URL,
        quota: TokenBucket | None = None,
        http: httpx.AsyncClient | None = None,
        timeout_s: float = 30.0,
    ) -> None:
        self._auth = auth
        self._base_url = base_url.rstrip("/")
        self._quota = quota or TokenBucket()
        self._http = http or httpx.AsyncClient(timeout=timeout_s)
        self._owns_http = http is None

    @property
    def quota(self) -> TokenBucket:
        return self._quota

    async def aclose(self) -> None:
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self) -> AmapiClient:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def issue_command(self, device_name: str, command_body: dict[str, Any]) -> dict[str, Any]:
        """POST `{device}:issueCommand`; the long-running Operation (poll it with get_operation)."""
        path = f"{_checked(_DEVICE, device_name)}:issueCommand"
        return await self._call("POST", path, json=command_body)

    async def get_operation(self, name: str) -> dict[str, Any]:
        return await self._call("GET", _checked(_OPERATION, name))

    async def cancel_operation(self, name: str) -> None:
        await self._call("POST", f"{_checked(_OPERATION, name)}:cancel")

    async def get_device(self, name: str) -> dict[str, Any]:
        return await self._call("GET", _checked(_DEVICE, name))

    async def list_devices(
        self, enterprise: str, page_token: str | None = None, page_size: int = 100
    ) -> DevicePage:
        params: dict[str, str | int] = {"pageSize": page_size}
        if page_token:
            params["pageToken"] = page_token
        path = f"{_checked(_ENTERPRISE, enterprise)}/devices"
        body = await self._call("GET", path, params=params)
        return DevicePage(list(body.get("devices") or []), body.get("nextPageToken") or None)

    async def iter_devices(self, enterprise: str, page_size: int = 100) -> AsyncIterator[dict]:
        """Every device of the enterprise, page by page (one quota token per page)."""
        token: str | None = None
        while True:
            page = await self.list_devices(enterprise, token, page_size)
            for device in page.devices:
                yield device
            if not page.next_page_token:
                return
            token = page.next_page_token

    async def delete_device(
        self, name: str, wipe_flags: Sequence[str] = (), wipe_reason: str | None = None
    ) -> None:
        """Delete the device, which wipes it (work profile only on a personally owned device)."""
        params: list[tuple[str, str]] = [("wipeDataFlags", flag) for flag in wipe_flags]
        if wipe_reason:
            params.append(("wipeReasonMessage", wipe_reason))
        await self._call("DELETE", _checked(_DEVICE, name), params=params)

    async def _call(
        self, method: str, path: str, *, json: dict[str, Any] | None = None, params: Any = None
    ) -> dict[str, Any]:
        response = await self._send(method, path, json, params)
        if response.status_code == 401:
            # An expired or revoked token: fetch a new one and try once more.
            self._auth.invalidate()
            response = await self._send(method, path, json, params)
        if response.is_error:
            raise to_amapi_error(response)
        if not response.content:
            return {}
        try:
            body = response.json()
        except ValueError as exc:
            raise AmapiTransientError(
                "amapi.bad_response", "Google answered with a body that is not JSON",
                http_status=response.status_code,
            ) from exc
        return body if isinstance(body, dict) else {}

    async def _send(
        self, method: str, path: str, json: dict[str, Any] | None, params: Any
    ) -> httpx.Response:
        await self._quota.acquire()
        try:
            authorization = await self._auth.authorization()
        except google_exceptions.GoogleAuthError as exc:
            # Bad or unreachable credentials are the operator's problem, not the command's.
            raise AmapiTransientError("amapi.auth", f"cannot get an access token: {exc}") from exc
        try:
            return await self._http.request(
                method, f"{self._base_url}/{path}", json=json, params=params,
                headers={"Authorization": authorization},
            )
        except httpx.TransportError as exc:
            raise AmapiTransientError(
                "amapi.transport", f"{type(exc).__name__} talking to the Android Management API"
            ) from exc
