"""Google error answers classified as permanent or transient."""

from __future__ import annotations

import httpx
import pytest
from command_dispatcher.android.errors import AmapiPermanentError, AmapiTransientError
from command_dispatcher.android.http_errors import to_amapi_error


@pytest.mark.parametrize(("status", "headers", "permanent", "retry_after"), [
    (400, {}, True, None), (403, {}, True, None), (404, {}, True, None), (409, {}, True, None),
    (429, {"Retry-After": "17"}, False, 17.0), (503, {}, False, None), (500, {}, False, None),
    (503, {"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}, False, 0.0),
])
def test_error_classification(status: int, headers: dict, permanent: bool,
                              retry_after: float | None) -> None:
    body = {"error": {"code": status, "message": "m", "status": "S"}}
    error = to_amapi_error(httpx.Response(status, json=body, headers=headers))
    assert isinstance(error, AmapiPermanentError if permanent else AmapiTransientError)
    assert (error.http_status, error.google_status, error.message) == (status, "S", "m")
    if not permanent:
        assert error.retry_after == retry_after


def test_retry_info_details_give_the_delay() -> None:
    body = {"error": {"code": 429, "message": "quota", "status": "RESOURCE_EXHAUSTED",
                      "details": [{"@type": "type.googleapis.com/google.rpc.RetryInfo",
                                   "retryDelay": "2.5s"}]}}
    error = to_amapi_error(httpx.Response(429, json=body))
    assert isinstance(error, AmapiTransientError) and error.retry_after == 2.5
    assert error.code == "amapi.resource_exhausted"


def test_error_without_json_body() -> None:
    error = to_amapi_error(httpx.Response(502, text="<html>bad gateway</html>"))
    assert isinstance(error, AmapiTransientError) and error.code == "amapi.502"
