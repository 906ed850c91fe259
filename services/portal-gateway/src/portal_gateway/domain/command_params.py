"""Which parameters each action takes and needs, per platform."""

from __future__ import annotations

from ssp_contracts.capabilities import PIN_REQUIRED
from ssp_contracts.commands import CommandParams
from ssp_contracts.enums import Action, Platform

from portal_gateway.domain.errors import FieldProblem, ValidationFailed

_LOST_MODE_FIELDS = frozenset(
    {"message", "phone_number", "footnote", "email", "street_address", "organization"})
ACCEPTED_PARAMS: dict[Action, frozenset[str]] = {
    Action.ENABLE_LOST_MODE: _LOST_MODE_FIELDS,
    Action.DISABLE_LOST_MODE: frozenset(),
    Action.LOCATE: frozenset(),
    Action.WIPE: frozenset({"pin"}),
    Action.LOCK: frozenset({"message", "phone_number", "pin"}),
    Action.RESET_PASSCODE: frozenset(),
    Action.REFRESH: frozenset(),
}


def _given(params: CommandParams) -> set[str]:
    return {name for name, value in params.model_dump().items()
            if value is not None and str(value).strip() != ""}


def param_problems(action: Action, platform: Platform,
                   params: CommandParams) -> list[FieldProblem]:
    given = _given(params)
    problems = [
        FieldProblem(f"params.{name}", "params.not_accepted",
                     f"'{name}' is not used by {action.value}.")
        for name in sorted(given - ACCEPTED_PARAMS[action])
    ]
    if action is Action.ENABLE_LOST_MODE and not given & {"message", "phone_number"}:
        problems.append(FieldProblem(
            "params.message", "params.message_or_phone_required",
            "Lost mode needs a message or a phone number to show on the screen."))
    if (action, platform) in PIN_REQUIRED and "pin" not in given:
        problems.append(FieldProblem(
            "params.pin", "params.pin_required",
            "A Mac needs a 6-digit PIN for this action."))
    return problems


def validate_params(action: Action, platform: Platform, params: CommandParams) -> None:
    ValidationFailed.raise_if_any(param_problems(action, platform, params))
