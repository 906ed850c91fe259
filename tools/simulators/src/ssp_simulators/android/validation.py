"""Command bodies checked against the AMAPI discovery document's shapes, as Google does."""

from __future__ import annotations

from typing import Any

from ssp_simulators.android.errors import invalid_argument

COMMAND_TYPES = frozenset({
    "LOCK", "RESET_PASSWORD", "REBOOT", "RELINQUISH_OWNERSHIP", "CLEAR_APP_DATA",
    "START_LOST_MODE", "STOP_LOST_MODE", "ADD_ESIM", "REMOVE_ESIM", "REQUEST_DEVICE_INFO", "WIPE",
})
# Params object -> the type it belongs to (setting one lets the server infer `type`).
PARAMS_TYPE = {
    "clearAppsDataParams": "CLEAR_APP_DATA", "startLostModeParams": "START_LOST_MODE",
    "stopLostModeParams": "STOP_LOST_MODE", "addEsimParams": "ADD_ESIM",
    "removeEsimParams": "REMOVE_ESIM", "requestDeviceInfoParams": "REQUEST_DEVICE_INFO",
    "wipeParams": "WIPE",
}
RESET_PASSWORD_FLAGS = frozenset({"REQUIRE_ENTRY", "DO_NOT_ASK_CREDENTIALS_ON_BOOT", "LOCK_NOW"})
WIPE_DATA_FLAGS = frozenset(
    {"WIPE_DATA_FLAG_UNSPECIFIED", "PRESERVE_RESET_PROTECTION_DATA", "WIPE_EXTERNAL_STORAGE",
     "WIPE_ESIMS"}
)
_COMMAND_FIELDS = frozenset({"type", "duration", "newPassword", "resetPasswordFlags", *PARAMS_TYPE})
_LOST_MESSAGES = ("lostMessage", "lostPhoneNumber", "lostStreetAddress", "lostOrganization")


def _unknown(fields: Any, allowed: frozenset[str] | tuple[str, ...], where: str) -> None:
    for name in fields:
        if name not in allowed:
            raise invalid_argument(
                f'Invalid JSON payload received. Unknown name "{name}" at \'{where}\': '
                "Cannot find field."
            )


def _object(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise invalid_argument(f"Invalid value at '{where}': expected an object")
    return value


def _user_facing_message(value: Any, where: str, *, max_length: int | None = None) -> str:
    message = _object(value, where)
    _unknown(message, ("defaultMessage", "localizedMessages"), where)
    text = message.get("defaultMessage")
    if not isinstance(text, str):
        raise invalid_argument(f"Invalid value at '{where}.default_message': expected a string")
    localized = message.get("localizedMessages", {})
    if not isinstance(localized, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in localized.items()
    ):
        raise invalid_argument(f"Invalid value at '{where}.localized_messages'")
    if max_length is not None and len(text) > max_length:
        raise invalid_argument(f"{where} must be at most {max_length} characters")
    return text


def _enum_list(value: Any, allowed: frozenset[str], where: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise invalid_argument(f"Invalid value at '{where}': expected a list of strings")
    for item in value:
        if item not in allowed:
            raise invalid_argument(f"Invalid value at '{where}', \"{item}\"")
    return value


def _start_lost_mode(params: dict[str, Any]) -> None:
    where = "command.start_lost_mode_params"
    _unknown(params, (*_LOST_MESSAGES, "lostEmailAddress"), where)
    texts = {key: _user_facing_message(params[key], f"{where}.{key}")
             for key in _LOST_MESSAGES if key in params}
    email = params.get("lostEmailAddress")
    if email is not None and not isinstance(email, str):
        raise invalid_argument(f"Invalid value at '{where}.lost_email_address'")
    contact = [texts.get("lostMessage"), texts.get("lostPhoneNumber"),
               texts.get("lostStreetAddress"), email]
    if not any(contact):
        raise invalid_argument(
            "At least one of lostMessage, lostPhoneNumber, lostEmailAddress or "
            "lostStreetAddress must be set to start lost mode."
        )


def _reset_password(body: dict[str, Any], api_level: int) -> None:
    password = body.get("newPassword")
    if password is not None:
        if not isinstance(password, str):
            raise invalid_argument("Invalid value at 'command.new_password'")
        # Android 14 (API 34) refuses numeric passwords shorter than 6 digits.
        if password.isdigit() and len(password) < 6 and api_level >= 34:
            raise invalid_argument("Numeric passwords must be at least 6 digits on this device.")
    if "resetPasswordFlags" in body:
        _enum_list(body["resetPasswordFlags"], RESET_PASSWORD_FLAGS, "command.reset_password_flags")


def _wipe(params: dict[str, Any]) -> None:
    where = "command.wipe_params"
    _unknown(params, ("wipeDataFlags", "wipeReason"), where)
    if "wipeDataFlags" in params:
        _enum_list(params["wipeDataFlags"], WIPE_DATA_FLAGS, f"{where}.wipe_data_flags")
    if "wipeReason" in params:
        _user_facing_message(params["wipeReason"], f"{where}.wipe_reason", max_length=200)


def validate_command(body: Any, *, api_level: int) -> str:
    """The command's type after validation (inferred from its params object when absent)."""
    body = _object(body, "command")
    _unknown(body, _COMMAND_FIELDS, "command")
    params = [key for key in PARAMS_TYPE if key in body]
    if len(params) > 1:
        raise invalid_argument(f"Only one params object may be set, got {', '.join(params)}")
    command_type = body.get("type") or (PARAMS_TYPE[params[0]] if params else None)
    if command_type not in COMMAND_TYPES:
        raise invalid_argument(f"Invalid value at 'command.type', {command_type!r}")
    if params and PARAMS_TYPE[params[0]] != command_type:
        raise invalid_argument(f"{params[0]} does not belong to a {command_type} command")
    duration = body.get("duration")
    if duration is not None and not (
        isinstance(duration, str) and duration.endswith("s")
        and duration[:-1].replace(".", "", 1).isdigit()
    ):
        raise invalid_argument("Invalid value at 'command.duration': expected e.g. \"600s\"")
    if "newPassword" in body or "resetPasswordFlags" in body:
        if command_type != "RESET_PASSWORD":
            raise invalid_argument("newPassword and resetPasswordFlags need type RESET_PASSWORD")
        _reset_password(body, api_level)
    if command_type == "START_LOST_MODE":
        _start_lost_mode(_object(body.get("startLostModeParams"), "command.start_lost_mode_params"))
    if command_type == "STOP_LOST_MODE" and "stopLostModeParams" in body:
        _unknown(_object(body["stopLostModeParams"], "command.stop_lost_mode_params"), (),
                 "command.stop_lost_mode_params")
    if command_type == "WIPE" and "wipeParams" in body:
        _wipe(_object(body["wipeParams"], "command.wipe_params"))
    return str(command_type)
