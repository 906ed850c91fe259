"""AMAPI Command bodies for portal actions, and what a finished Operation says about them."""

from __future__ import annotations

import itertools
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ssp_contracts.capabilities import PLATFORM_OF_MODE, capability, is_supported_by_mode
from ssp_contracts.commands import CommandParams
from ssp_contracts.enums import Action, ManagementMode, Platform

from command_dispatcher.android.errors import InvalidParameters, Unsupported
from command_dispatcher.android.operations import OperationOutcome, interpret_operation

__all__ = [
    "RETIRE_REASON", "WIPE_DATA_FLAGS", "AmapiCommand", "OperationOutcome", "build_command",
    "command_body", "interpret_operation", "new_passcode", "retire_by_delete", "wipe_reason",
]

DEFAULT_PASSCODE_DIGITS = 6  # Android 14 refuses numeric passwords shorter than 6 (AMAPI-disc)
WIPE_DATA_FLAGS = frozenset(
    {"PRESERVE_RESET_PROTECTION_DATA", "WIPE_EXTERNAL_STORAGE", "WIPE_ESIMS"}
)
MAX_WIPE_REASON = 200  # AMAPI WipeParams.wipeReason limit
DEFAULT_WIPE_REASON = "This device was wiped at its owner's request."
RETIRE_REASON = "This device was removed from management at its owner's request."


@dataclass(frozen=True)
class AmapiCommand:
    """A Command body for issueCommand; `secret` is the one-time passcode it sets, if any.

    Both hold the passcode, so neither appears in repr (and so not in logs or tracebacks).
    """

    body: dict[str, Any] = field(repr=False)
    secret: str | None = field(default=None, repr=False)

    @property
    def type(self) -> str:
        return str(self.body["type"])


def _has_easy_run(code: str, run: int = 4) -> bool:
    # Android's NUMERIC_COMPLEX quality refuses repeated or ordered runs (4444, 1234, 4321);
    # a code the device's policy rejects would only come back as INVALID_VALUE.
    steps = [int(b) - int(a) for a, b in itertools.pairwise(code)]
    return any(
        len(set(steps[i : i + run - 1])) == 1 and abs(steps[i]) <= 1
        for i in range(len(steps) - run + 2)
    )


def new_passcode(digits: int = DEFAULT_PASSCODE_DIGITS) -> str:
    """A random numeric passcode from `secrets`, never a repeated or ordered run."""
    if digits < DEFAULT_PASSCODE_DIGITS:
        raise ValueError(f"a passcode needs at least {DEFAULT_PASSCODE_DIGITS} digits")
    while True:
        code = "".join(secrets.choice("0123456789") for _ in range(digits))
        if not _has_easy_run(code):
            return code


def _message(text: str | None) -> dict[str, str] | None:
    return {"defaultMessage": text} if text else None  # AMAPI UserFacingMessage


def _start_lost_mode(params: CommandParams) -> dict[str, Any]:
    if not (params.message or params.phone_number or params.email or params.street_address):
        raise InvalidParameters(
            "params.lost_mode_contact",
            "lost mode needs a message, a phone number, an e-mail address or a street address",
        )
    # `footnote` is Apple's; AMAPI has no field for it, so it is left out rather than merged.
    lost = {
        "lostMessage": _message(params.message),
        "lostPhoneNumber": _message(params.phone_number),
        "lostStreetAddress": _message(params.street_address),
        "lostOrganization": _message(params.organization),
        "lostEmailAddress": params.email or None,
    }
    params_body = {key: value for key, value in lost.items() if value is not None}
    return {"type": "START_LOST_MODE", "startLostModeParams": params_body}


def wipe_reason(params: CommandParams) -> str:
    """The text a personally owned device shows when its work profile is removed."""
    reason = params.message or DEFAULT_WIPE_REASON
    if len(reason) > MAX_WIPE_REASON:
        raise InvalidParameters(
            "params.wipe_reason", f"the wipe reason has more than {MAX_WIPE_REASON} characters"
        )
    return reason


def _wipe(params: CommandParams, flags: Sequence[str]) -> dict[str, Any]:
    unknown = set(flags) - WIPE_DATA_FLAGS
    if unknown:
        raise InvalidParameters("params.wipe_flags", f"unknown wipeDataFlags {sorted(unknown)}")
    wipe_params: dict[str, Any] = {"wipeReason": {"defaultMessage": wipe_reason(params)}}
    if flags:
        wipe_params["wipeDataFlags"] = sorted(set(flags))
    return {"type": "WIPE", "wipeParams": wipe_params}


def retire_by_delete(mode: ManagementMode) -> bool:
    """How a device in `mode` leaves management without losing its owner's data (AMAPI's
    deprovisioning guide): a personally owned device by devices.delete without wipeDataFlags,
    which removes only its work profile; a company-owned one with a work profile by the
    RELINQUISH_OWNERSHIP command (Android 8+), which removes the work profile, keeps the
    personal profile and deletes the device record once acknowledged. Anything else (a fully
    managed device: devices.delete and WIPE factory-reset it) is refused, whatever the
    authorizer thought the mode was."""
    if mode is ManagementMode.ANDROID_WORK_PROFILE_PERSONAL:
        return True
    if mode is ManagementMode.ANDROID_WORK_PROFILE_COMPANY:
        return False
    refused = capability(Action.RETIRE, mode)
    raise Unsupported(refused.code or "unsupported.retire",
                      refused.reason or f"{mode.value} cannot leave management without a wipe")


def build_command(
    action: Action,
    params: CommandParams,
    mode: ManagementMode,
    *,
    wipe_data_flags: Sequence[str] = (),
    passcode_digits: int = DEFAULT_PASSCODE_DIGITS,
) -> AmapiCommand | None:
    """The Command for `action` on a device in `mode`; None for refresh, which is devices.get.

    Raises Unsupported where the capability matrix says no, InvalidParameters for bad input.
    The wipe reason (shown on personally owned devices only) is `params.message`.
    """
    if PLATFORM_OF_MODE.get(mode) is not Platform.ANDROID:
        raise Unsupported("unsupported.platform", f"{mode.value} is not an Android mode")
    if not is_supported_by_mode(action, mode):
        refused = capability(action, mode)
        raise Unsupported(refused.code or "unsupported", refused.reason or "not supported")
    return command_body(action, params, wipe_data_flags=wipe_data_flags,
                        passcode_digits=passcode_digits)


def command_body(
    action: Action,
    params: CommandParams,
    *,
    wipe_data_flags: Sequence[str] = (),
    passcode_digits: int = DEFAULT_PASSCODE_DIGITS,
) -> AmapiCommand | None:
    """The Command for `action` whatever the device's mode: Google is the judge of what a
    device can run (the dispatcher uses this; the capability check is the authorizer's)."""
    if action is Action.REFRESH:
        return None
    if action is Action.LOCK:
        return AmapiCommand({"type": "LOCK"})
    if action is Action.RESET_PASSCODE:
        code = new_passcode(passcode_digits)
        # REQUIRE_ENTRY: no other admin may change it before the user has typed it once.
        body = {"type": "RESET_PASSWORD", "newPassword": code,
                "resetPasswordFlags": ["REQUIRE_ENTRY"]}
        return AmapiCommand(body, secret=code)
    if action is Action.ENABLE_LOST_MODE:
        return AmapiCommand(_start_lost_mode(params))
    if action is Action.DISABLE_LOST_MODE:
        return AmapiCommand({"type": "STOP_LOST_MODE", "stopLostModeParams": {}})
    if action is Action.WIPE:
        return AmapiCommand(_wipe(params, wipe_data_flags))
    if action is Action.RETIRE:  # the company-owned case; see retire_by_delete
        return AmapiCommand({"type": "RELINQUISH_OWNERSHIP"})
    raise Unsupported("unsupported.action", f"no AMAPI command for {action.value}")
