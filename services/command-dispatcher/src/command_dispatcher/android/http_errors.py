"""Google's JSON error answers mapped to the permanent / transient split the consumer needs."""

from __future__ import annotations

import email.utils
import re
from datetime import UTC, datetime
from typing import Any

import httpx

from command_dispatcher.android.errors import (
    AmapiError,
    AmapiPermanentError,
    AmapiTransientError,
)

_RETRY_INFO = "type.googleapis.com/google.rpc.RetryInfo"
_DURATION = re.compile(r"^(\d+(?:\.\d+)?)s$")  # protobuf Duration in JSON, e.g. "3.5s"


def _error_body(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    error = body.get("error") if isinstance(body, dict) else None
    return error if isinstance(error, dict) else {}


def _retry_after_header(value: str | None) -> float | None:
    if not value:
        return None
    if value.strip().isdigit():
        return float(value.strip())
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _retry_info(error: dict[str, Any]) -> float | None:
    for detail in error.get("details") or []:
        if isinstance(detail, dict) and detail.get("@type") == _RETRY_INFO:
            match = _DURATION.match(str(detail.get("retryDelay", "")))
            if match:
                return float(match.group(1))
    return None


def to_amapi_error(response: httpx.Response) -> AmapiError:
    """The error to raise for a non-2xx answer; the HTTP status decides permanent or transient."""
    error = _error_body(response)
    status = response.status_code
    google_status = error.get("status") if isinstance(error.get("status"), str) else None
    message = str(error.get("message") or response.reason_phrase or "no message")[:1000]
    code = f"amapi.{(google_status or str(status)).lower()}"
    if status in (401, 408, 429) or status >= 500:
        # 401 reaches here only after a fresh token failed too: credentials, not the command.
        retry_after = _retry_after_header(response.headers.get("Retry-After"))
        return AmapiTransientError(
            code, message, http_status=status, google_status=google_status,
            retry_after=retry_after if retry_after is not None else _retry_info(error),
        )
    return AmapiPermanentError(code, message, http_status=status, google_status=google_status)
