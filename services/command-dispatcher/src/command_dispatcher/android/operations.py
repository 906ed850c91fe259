"""Reading a long-running Operation of issueCommand: done or not, and how it went."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from ssp_contracts.commands import CommandResult, ErrorDetail

Outcome = Literal["acknowledged", "failed", "expired", "canceled"]

# Command.errorCode (AMAPI-disc), in words a device owner understands.
_ERROR_CODE_REASONS = {
    "UNKNOWN": "The device reported an unknown error.",
    "API_LEVEL": "The device's Android version is too old for this command.",
    "MANAGEMENT_MODE": "The way this device is managed does not allow this command.",
    "INVALID_VALUE": "The device refused a value of the command, e.g. a passcode its policy "
    "does not allow.",
    "UNSUPPORTED": "The device does not support this command.",
}

# startLostModeStatus / stopLostModeStatus: the failures, and lost mode as the status implies.
_LOST_MODE_FAILURES = {
    "RESET_PASSWORD_RECENTLY": "The passcode was reset recently; Android refuses lost mode "
    "for a while after that.",
    "USER_EXIT_LOST_MODE_RECENTLY": "Lost mode was ended on the device recently; Android "
    "refuses to start it again for a while.",
    "ALREADY_IN_LOST_MODE": "The device is already in lost mode.",
    "NOT_IN_LOST_MODE": "The device is not in lost mode.",
}
_LOST_MODE_AFTER = {"ALREADY_IN_LOST_MODE": True, "NOT_IN_LOST_MODE": False}

# google.rpc.Code numbers that are not a device's failure but the command's fate.
_RPC_CANCELLED, _RPC_DEADLINE_EXCEEDED = 1, 4


@dataclass(frozen=True)
class OperationOutcome:
    done: bool
    outcome: Outcome | None = None  # None while not done
    reason: str | None = None  # human explanation of a failure
    platform_status: str | None = None  # errorCode, lost mode status or google.rpc code
    lost_mode: bool | None = None  # lost mode state the answer implies; None: says nothing


def _lost_mode_status(metadata: dict[str, Any]) -> tuple[str | None, bool | None]:
    for key, started in (("startLostModeStatus", True), ("stopLostModeStatus", False)):
        status = metadata.get(key)
        if isinstance(status, dict) and isinstance(status.get("status"), str):
            value = status["status"]
            return value, started if value == "SUCCESS" else _LOST_MODE_AFTER.get(value)
    return None, None


def _error_outcome(error: dict[str, Any], error_code: str | None) -> OperationOutcome:
    code = error.get("code")
    message = str(error.get("message") or "") or None
    if code == _RPC_CANCELLED:
        return OperationOutcome(True, "canceled", message or "The command was canceled.",
                                "CANCELLED")
    if code == _RPC_DEADLINE_EXCEEDED:
        return OperationOutcome(
            True, "expired", "The device did not run the command before it expired.",
            "DEADLINE_EXCEEDED",
        )
    reason = _ERROR_CODE_REASONS.get(error_code or "") or message or "The command failed."
    return OperationOutcome(True, "failed", reason, error_code or f"rpc.{code}")


def interpret_operation(operation: dict[str, Any]) -> OperationOutcome:
    """What an issueCommand Operation says; not done means ask again later."""
    if not operation.get("done"):
        return OperationOutcome(done=False)
    metadata = operation.get("metadata")
    metadata = metadata if isinstance(metadata, dict) else {}
    error_code = metadata.get("errorCode")
    if error_code == "COMMAND_ERROR_CODE_UNSPECIFIED" or not isinstance(error_code, str):
        error_code = None
    error = operation.get("error")
    if isinstance(error, dict):
        return _error_outcome(error, error_code)
    if error_code:
        return OperationOutcome(
            True, "failed", _ERROR_CODE_REASONS.get(error_code, "The command failed."), error_code
        )
    lost_status, lost_mode = _lost_mode_status(metadata)
    if lost_status in _LOST_MODE_FAILURES:
        return OperationOutcome(True, "failed", _LOST_MODE_FAILURES[lost_status], lost_status,
                                lost_mode)
    return OperationOutcome(True, "acknowledged", None, lost_status, lost_mode)


def to_command_result(outcome: OperationOutcome) -> CommandResult:
    """The CommandResult to publish with the status change (lost mode folded as inventory)."""
    errors = []
    if outcome.outcome == "failed":
        errors.append(ErrorDetail(
            code=outcome.platform_status or "UNKNOWN", domain="amapi", message=outcome.reason
        ))
    inventory = {"lost_mode": outcome.lost_mode} if outcome.lost_mode is not None else None
    return CommandResult(
        inventory=inventory, errors=errors, platform_status=outcome.platform_status
    )
