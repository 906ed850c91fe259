"""Google-style API errors: `{"error": {"code", "message", "status"}}`."""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    def __init__(
        self, http_status: int, status: str, message: str, details: list[Any] | None = None
    ) -> None:
        super().__init__(message)
        self.http_status, self.status, self.message = http_status, status, message
        self.details = details or []

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {
            "code": self.http_status, "message": self.message, "status": self.status
        }
        if self.details:
            error["details"] = self.details
        return {"error": error}


def invalid_argument(message: str) -> ApiError:
    return ApiError(400, "INVALID_ARGUMENT", message)


def quota_exhausted(retry_s: float) -> ApiError:
    return ApiError(
        429, "RESOURCE_EXHAUSTED",
        "Quota exceeded for quota metric 'Queries' of service androidmanagement.googleapis.com",
        [{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": f"{retry_s:.0f}s"}],
    )


def not_found(name: str) -> ApiError:
    return ApiError(404, "NOT_FOUND", f"Requested entity was not found: {name}")
