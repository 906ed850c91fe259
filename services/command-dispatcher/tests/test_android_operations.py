"""Reading finished (and unfinished) issueCommand operations."""

from __future__ import annotations

import pytest
from command_dispatcher.android.operations import (
    OperationOutcome,
    interpret_operation,
    to_command_result,
)

TYPE = "type.googleapis.com/google.android.devicemanagement.v1.Command"


def _operation(done: bool = True, error: dict | None = None, **metadata) -> dict:
    operation = {"name": "enterprises/e/devices/d/operations/1", "done": done,
                 "metadata": {"@type": TYPE, "type": "LOCK", **metadata}}
    if error is not None:
        operation["error"] = error
    return operation


def test_not_done_means_ask_again() -> None:
    assert interpret_operation(_operation(done=False)) == OperationOutcome(done=False)
    assert interpret_operation({"name": "x"}) == OperationOutcome(done=False)


def test_done_without_error_is_acknowledged() -> None:
    outcome = interpret_operation(_operation())
    assert (outcome.done, outcome.outcome, outcome.reason) == (True, "acknowledged", None)


@pytest.mark.parametrize("code", ["UNKNOWN", "API_LEVEL", "MANAGEMENT_MODE", "INVALID_VALUE",
                                  "UNSUPPORTED"])
def test_error_codes_fail_with_a_reason(code: str) -> None:
    outcome = interpret_operation(_operation(errorCode=code))
    assert outcome.outcome == "failed" and outcome.platform_status == code
    assert outcome.reason and outcome.reason.endswith(".")


def test_unspecified_error_code_is_no_error() -> None:
    outcome = interpret_operation(_operation(errorCode="COMMAND_ERROR_CODE_UNSPECIFIED"))
    assert outcome.outcome == "acknowledged"


def test_error_with_error_code_explains_the_code() -> None:
    outcome = interpret_operation(
        _operation(error={"code": 9, "message": "precondition"}, errorCode="API_LEVEL")
    )
    assert outcome.outcome == "failed" and outcome.platform_status == "API_LEVEL"
    assert "too old" in (outcome.reason or "")


def test_error_without_code_keeps_googles_message() -> None:
    outcome = interpret_operation(_operation(error={"code": 13, "message": "internal"}))
    assert (outcome.outcome, outcome.reason, outcome.platform_status) == (
        "failed", "internal", "rpc.13")


def test_canceled_and_expired() -> None:
    assert interpret_operation(_operation(error={"code": 1})).outcome == "canceled"
    expired = interpret_operation(_operation(error={"code": 4, "message": "deadline"}))
    assert (expired.outcome, expired.platform_status) == ("expired", "DEADLINE_EXCEEDED")


@pytest.mark.parametrize(("key", "status", "outcome", "lost_mode"), [
    ("startLostModeStatus", "SUCCESS", "acknowledged", True),
    ("startLostModeStatus", "ALREADY_IN_LOST_MODE", "failed", True),
    ("startLostModeStatus", "RESET_PASSWORD_RECENTLY", "failed", None),
    ("startLostModeStatus", "USER_EXIT_LOST_MODE_RECENTLY", "failed", None),
    ("stopLostModeStatus", "SUCCESS", "acknowledged", False),
    ("stopLostModeStatus", "NOT_IN_LOST_MODE", "failed", False),
])
def test_lost_mode_statuses(key: str, status: str, outcome: str, lost_mode: bool | None) -> None:
    operation = _operation()
    operation["metadata"][key] = {"status": status}
    result = interpret_operation(operation)
    assert (result.outcome, result.platform_status, result.lost_mode) == (
        outcome, status, lost_mode)
    if outcome == "failed":
        assert result.reason


def test_command_result_for_a_failure_and_a_success() -> None:
    failed = to_command_result(interpret_operation(_operation(errorCode="MANAGEMENT_MODE")))
    assert failed.errors[0].code == "MANAGEMENT_MODE" and failed.errors[0].domain == "amapi"
    started = to_command_result(
        interpret_operation(_operation(startLostModeStatus={"status": "SUCCESS"}))
    )
    assert started.errors == [] and started.inventory == {"lost_mode": True}
