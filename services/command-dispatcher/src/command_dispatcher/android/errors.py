"""Errors of the Android layer, each with a stable code; the consumer classifies them."""

from __future__ import annotations


class AndroidError(Exception):
    """Base of every error this package raises on purpose."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class Unsupported(AndroidError):
    """The action has no AMAPI command for this device (permanent failure)."""


class InvalidParameters(AndroidError):
    """The action's parameters cannot form a valid AMAPI command (permanent failure)."""


class AmapiError(AndroidError):
    """Google answered with an error or could not be reached."""

    def __init__(
        self, code: str, message: str, *, http_status: int | None = None,
        google_status: str | None = None,
    ) -> None:
        super().__init__(code, message)
        self.http_status = http_status
        self.google_status = google_status  # e.g. INVALID_ARGUMENT, RESOURCE_EXHAUSTED


class AmapiPermanentError(AmapiError):
    """Retrying the same request cannot help (400, 403, 404, other 4xx): record `failed`."""


class AmapiTransientError(AmapiError):
    """Retry later (429, 5xx, transport errors); `retry_after` seconds when Google said so."""

    def __init__(
        self, code: str, message: str, *, http_status: int | None = None,
        google_status: str | None = None, retry_after: float | None = None,
    ) -> None:
        super().__init__(code, message, http_status=http_status, google_status=google_status)
        self.retry_after = retry_after
