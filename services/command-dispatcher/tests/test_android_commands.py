"""AMAPI Command bodies per portal action."""

from __future__ import annotations

import pytest
from command_dispatcher.android.commands import (
    AmapiCommand,
    _has_easy_run,
    build_command,
    new_passcode,
)
from command_dispatcher.android.errors import InvalidParameters, Unsupported
from ssp_contracts.commands import CommandParams
from ssp_contracts.enums import Action, ManagementMode

FM = ManagementMode.ANDROID_FULLY_MANAGED
PERSONAL = ManagementMode.ANDROID_WORK_PROFILE_PERSONAL
COPE = ManagementMode.ANDROID_WORK_PROFILE_COMPANY
NO_PARAMS = CommandParams()


def _body(action: Action, params: CommandParams = NO_PARAMS, mode=FM, **kw) -> dict:
    command = build_command(action, params, mode, **kw)
    assert command is not None
    return command.body


def test_lock() -> None:
    assert _body(Action.LOCK) == {"type": "LOCK"}


def test_reset_passcode_returns_the_code_separately_and_hides_it() -> None:
    command = build_command(Action.RESET_PASSCODE, NO_PARAMS, FM)
    assert command is not None and command.secret is not None
    assert command.body == {"type": "RESET_PASSWORD", "newPassword": command.secret,
                            "resetPasswordFlags": ["REQUIRE_ENTRY"]}
    assert command.secret.isdigit() and len(command.secret) == 6
    assert command.secret not in repr(command)
    assert "RESET_PASSWORD" == command.type


def test_passcodes_are_random_numeric_and_never_easy_runs() -> None:
    codes = {new_passcode() for _ in range(300)}
    assert len(codes) > 290
    assert all(code.isdigit() and len(code) == 6 and not _has_easy_run(code) for code in codes)
    assert len(new_passcode(8)) == 8
    with pytest.raises(ValueError):
        new_passcode(4)


@pytest.mark.parametrize(("code", "easy"), [
    ("123456", True), ("654321", True), ("111190", True), ("901234", True),
    ("135790", False), ("112290", False), ("824613", False), ("123957", False),
])
def test_easy_runs(code: str, easy: bool) -> None:
    assert _has_easy_run(code) is easy


def test_start_lost_mode_uses_user_facing_messages() -> None:
    params = CommandParams(message="Please return", phone_number="+49 89 1234",
                           email="it@example.com", street_address="Main St 1",
                           organization="Example AG", footnote="Apple only")
    assert _body(Action.ENABLE_LOST_MODE, params, COPE) == {
        "type": "START_LOST_MODE",
        "startLostModeParams": {
            "lostMessage": {"defaultMessage": "Please return"},
            "lostPhoneNumber": {"defaultMessage": "+49 89 1234"},
            "lostStreetAddress": {"defaultMessage": "Main St 1"},
            "lostOrganization": {"defaultMessage": "Example AG"},
            "lostEmailAddress": "it@example.com",
        },
    }


def test_start_lost_mode_with_only_an_email_is_enough() -> None:
    body = _body(Action.ENABLE_LOST_MODE, CommandParams(email="it@example.com"))
    assert body["startLostModeParams"] == {"lostEmailAddress": "it@example.com"}


def test_start_lost_mode_needs_a_contact() -> None:
    with pytest.raises(InvalidParameters) as caught:
        build_command(Action.ENABLE_LOST_MODE, CommandParams(organization="Example AG"), FM)
    assert caught.value.code == "params.lost_mode_contact"


def test_stop_lost_mode() -> None:
    assert _body(Action.DISABLE_LOST_MODE) == {"type": "STOP_LOST_MODE", "stopLostModeParams": {}}


def test_wipe_with_reason_and_flags() -> None:
    body = _body(Action.WIPE, CommandParams(message="Lost on a train"), PERSONAL,
                 wipe_data_flags=["WIPE_EXTERNAL_STORAGE", "PRESERVE_RESET_PROTECTION_DATA"])
    assert body == {"type": "WIPE", "wipeParams": {
        "wipeReason": {"defaultMessage": "Lost on a train"},
        "wipeDataFlags": ["PRESERVE_RESET_PROTECTION_DATA", "WIPE_EXTERNAL_STORAGE"],
    }}


def test_wipe_defaults_and_limits() -> None:
    body = _body(Action.WIPE)
    assert set(body["wipeParams"]) == {"wipeReason"}
    assert len(body["wipeParams"]["wipeReason"]["defaultMessage"]) <= 200
    with pytest.raises(InvalidParameters):
        build_command(Action.WIPE, CommandParams(message="x" * 201), FM)
    with pytest.raises(InvalidParameters):
        build_command(Action.WIPE, NO_PARAMS, FM, wipe_data_flags=["WIPE_EVERYTHING"])


def test_refresh_is_not_a_command() -> None:
    assert build_command(Action.REFRESH, NO_PARAMS, PERSONAL) is None


@pytest.mark.parametrize("mode", [FM, PERSONAL, COPE])
def test_locate_is_unsupported_with_the_capability_reason(mode: ManagementMode) -> None:
    with pytest.raises(Unsupported) as caught:
        build_command(Action.LOCATE, NO_PARAMS, mode)
    assert caught.value.code == "unsupported.locate_android"
    assert "no command to locate" in caught.value.message


def test_lost_mode_on_a_personal_work_profile_is_unsupported() -> None:
    with pytest.raises(Unsupported) as caught:
        build_command(Action.ENABLE_LOST_MODE, CommandParams(message="hi"), PERSONAL)
    assert caught.value.code == "unsupported.lost_mode_android"


def test_non_android_modes_are_refused() -> None:
    with pytest.raises(Unsupported):
        build_command(Action.LOCK, NO_PARAMS, ManagementMode.WINDOWS)


def test_command_repr_shows_no_body() -> None:
    assert "newPassword" not in repr(AmapiCommand({"type": "RESET_PASSWORD", "newPassword": "1"}))
