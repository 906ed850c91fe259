"""The simulator's HTTP face: AMAPI's REST paths, bearer auth, an optional quota, Google errors."""

from __future__ import annotations

import base64
import binascii
import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ssp_simulators.android.errors import ApiError, invalid_argument, quota_exhausted
from ssp_simulators.android.state import AmapiState
from ssp_simulators.android.validation import WIPE_DATA_FLAGS

DEFAULT_TOKEN = "ssp-simulator-token"  # noqa: S105 - a stand-in's public test token
Handler = Callable[[Request, AmapiState], Awaitable[Any]]


class _FixedWindowQuota:
    """`limit` requests per window, like Google's per-project "queries per 100 s" quota."""

    def __init__(self, limit: int, window_s: float, clock: Callable[[], float]) -> None:
        self._limit, self._window_s, self._clock = limit, window_s, clock
        self._start, self._count = clock(), 0

    def take(self) -> None:
        now = self._clock()
        if now - self._start >= self._window_s:
            self._start, self._count = now, 0
        if self._count >= self._limit:
            raise quota_exhausted(max(1.0, self._start + self._window_s - now))
        self._count += 1


def _device_name(request: Request) -> str:
    return "enterprises/{enterprise}/devices/{device}".format(**request.path_params)


def _operation_name(request: Request) -> str:
    return _device_name(request) + "/operations/{operation}".format(**request.path_params)


async def _issue_command(request: Request, state: AmapiState) -> Any:
    try:
        body = json.loads(await request.body() or b"{}")
    except ValueError as exc:
        raise invalid_argument("Invalid JSON payload received.") from exc
    return state.issue(_device_name(request), body).resource()


async def _get_operation(request: Request, state: AmapiState) -> Any:
    return state.operation(_operation_name(request)).resource()


async def _cancel_operation(request: Request, state: AmapiState) -> Any:
    state.cancel(_operation_name(request))
    return {}


async def _get_device(request: Request, state: AmapiState) -> Any:
    return state.device(_device_name(request)).resource()


async def _delete_device(request: Request, state: AmapiState) -> Any:
    flags = request.query_params.getlist("wipeDataFlags")
    unknown = [flag for flag in flags if flag not in WIPE_DATA_FLAGS]
    if unknown:
        raise invalid_argument(f"Invalid value at 'wipe_data_flags', \"{unknown[0]}\"")
    reason = request.query_params.get("wipeReasonMessage")
    if reason is not None and len(reason) > 200:
        raise invalid_argument("wipeReasonMessage must be at most 200 characters")
    state.delete(_device_name(request), flags, reason)
    return {}


def _offset(token: str | None) -> int:
    if not token:
        return 0
    try:
        return int(base64.urlsafe_b64decode(token.encode()).decode())
    except (ValueError, binascii.Error) as exc:
        raise invalid_argument("Invalid page token.") from exc


async def _list_devices(request: Request, state: AmapiState) -> Any:
    prefix = "enterprises/{enterprise}/devices/".format(**request.path_params)
    try:
        size = int(request.query_params.get("pageSize") or 10)  # AMAPI: 10 unless asked
    except ValueError as exc:
        raise invalid_argument("Invalid value at 'page_size'") from exc
    size = max(1, min(size, 100))
    start = _offset(request.query_params.get("pageToken"))
    names = sorted(name for name in state.devices if name.startswith(prefix))
    page: dict[str, Any] = {
        "devices": [state.devices[name].resource() for name in names[start : start + size]]
    }
    if start + size < len(names):
        page["nextPageToken"] = base64.urlsafe_b64encode(str(start + size).encode()).decode()
    return page


def create_app(
    state: AmapiState,
    *,
    token: str | None = DEFAULT_TOKEN,
    quota: int | None = None,
    quota_window_s: float = 100.0,
    clock: Callable[[], float] = time.monotonic,
) -> Starlette:
    """The app; `token` None accepts any caller, `quota` None never answers 429."""
    window = _FixedWindowQuota(quota, quota_window_s, clock) if quota else None

    def endpoint(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        async def run(request: Request) -> Response:
            try:
                if token and request.headers.get("authorization") != f"Bearer {token}":
                    raise ApiError(401, "UNAUTHENTICATED",
                                   "Request had invalid authentication credentials.")
                if window:
                    window.take()
                state.settle()
                return JSONResponse(await handler(request, state))
            except ApiError as error:
                return JSONResponse(error.body(), status_code=error.http_status)

        return run

    device = "/v1/enterprises/{enterprise}/devices/{device}"
    operation = device + "/operations/{operation}"
    return Starlette(routes=[
        Route(device + ":issueCommand", endpoint(_issue_command), methods=["POST"]),
        Route(operation + ":cancel", endpoint(_cancel_operation), methods=["POST"]),
        Route(operation, endpoint(_get_operation), methods=["GET"]),
        Route(device, endpoint(_get_device), methods=["GET"]),
        Route(device, endpoint(_delete_device), methods=["DELETE"]),
        Route("/v1/enterprises/{enterprise}/devices", endpoint(_list_devices), methods=["GET"]),
    ])
