"""Command plists per action and platform."""

import plistlib
from typing import Any

import pytest
from command_dispatcher.apple.commands import (
    INVENTORY_QUERIES,
    REQUEST_TYPE_OF_ACTION,
    EraseOptions,
    build_command,
    build_play_sound,
)
from command_dispatcher.apple.errors import InvalidParameters, Unsupported
from ssp_contracts.commands import CommandParams
from ssp_contracts.enums import Action, Platform

IOS, MACOS = Platform.IOS, Platform.MACOS
FULL = CommandParams(
    message="Please call", phone_number="+49 89 1234", footnote="Reward", pin="123456"
)


def _built(
    action: Action,
    params: CommandParams = FULL,
    platform: Platform = IOS,
    unlock_token: bytes | None = None,
) -> dict[str, Any]:
    body = build_command("cmd-1", action, params, platform, unlock_token)
    plist = plistlib.loads(body, fmt=plistlib.FMT_XML)
    assert set(plist) == {"CommandUUID", "Command"}
    assert plist["CommandUUID"] == "cmd-1"
    assert plist["Command"]["RequestType"] == REQUEST_TYPE_OF_ACTION[action]
    return {k: v for k, v in plist["Command"].items() if k != "RequestType"}


def test_every_action_has_a_request_type() -> None:
    assert set(REQUEST_TYPE_OF_ACTION) == set(Action)


def test_enable_lost_mode_carries_only_present_keys() -> None:
    assert _built(Action.ENABLE_LOST_MODE) == {
        "Message": "Please call",
        "PhoneNumber": "+49 89 1234",
        "Footnote": "Reward",
    }
    assert _built(Action.ENABLE_LOST_MODE, CommandParams(phone_number="+1 555")) == {
        "PhoneNumber": "+1 555"
    }


def test_enable_lost_mode_needs_message_or_phone() -> None:
    with pytest.raises(InvalidParameters) as caught:
        build_command("c", Action.ENABLE_LOST_MODE, CommandParams(footnote="x"), IOS)
    assert caught.value.code == "params.lost_mode_contact"


@pytest.mark.parametrize("action", [Action.DISABLE_LOST_MODE, Action.LOCATE])
def test_payload_free_commands(action: Action) -> None:
    assert _built(action) == {}


def test_lock_on_ios_never_sends_the_pin() -> None:
    assert _built(Action.LOCK) == {"Message": "Please call", "PhoneNumber": "+49 89 1234"}
    assert _built(Action.LOCK, CommandParams()) == {}


def test_lock_and_wipe_on_macos_carry_the_pin() -> None:
    assert _built(Action.LOCK, FULL, MACOS) == {
        "Message": "Please call",
        "PhoneNumber": "+49 89 1234",
        "PIN": "123456",
    }
    assert _built(Action.WIPE, CommandParams(pin="654321"), MACOS) == {"PIN": "654321"}
    assert _built(Action.WIPE, FULL, IOS) == {}


@pytest.mark.parametrize("action", [Action.LOCK, Action.WIPE])
def test_macos_lock_and_wipe_are_built_without_a_pin(action: Action) -> None:
    """apple/device-management mdm/commands/device.lock.yaml and device.erase.yaml, key PIN:
    "type: <string> presence: optional ... The six-character PIN for Find My." A Mac with a
    T2 chip or Apple silicon locks and erases without one."""
    assert "PIN" not in _built(action, CommandParams(), MACOS)


def test_clear_passcode_sends_the_unlock_token_as_data() -> None:
    assert _built(Action.RESET_PASSCODE, unlock_token=b"\x00escrow") == {
        "UnlockToken": b"\x00escrow"
    }
    body = build_command("c", Action.RESET_PASSCODE, FULL, IOS, b"\x00escrow")
    assert b"<data>" in body


def test_clear_passcode_without_unlock_token_is_unsupported() -> None:
    with pytest.raises(Unsupported) as caught:
        build_command("c", Action.RESET_PASSCODE, FULL, IOS, None)
    assert caught.value.code == "unsupported.no_unlock_token"


def test_refresh_asks_for_the_inventory() -> None:
    queries = _built(Action.REFRESH, platform=MACOS)["Queries"]
    assert queries == list(INVENTORY_QUERIES)
    assert {"BatteryLevel", "SerialNumber", "IsMDMLostModeEnabled", "DeviceCapacity"} <= set(
        queries
    )


@pytest.mark.parametrize(
    "action",
    [Action.ENABLE_LOST_MODE, Action.DISABLE_LOST_MODE, Action.LOCATE, Action.RESET_PASSCODE],
)
def test_ios_only_actions_are_refused_for_macs(action: Action) -> None:
    with pytest.raises(Unsupported) as caught:
        build_command("c", action, FULL, MACOS, b"token")
    assert caught.value.code == "unsupported.macos"


@pytest.mark.parametrize("platform", [Platform.ANDROID, Platform.WINDOWS])
def test_non_apple_platforms_are_refused(platform: Platform) -> None:
    with pytest.raises(Unsupported):
        build_command("c", Action.LOCK, FULL, platform)


def test_text_is_escaped_by_plistlib_not_formatted_in() -> None:
    sneaky = CommandParams(message="</string><key>RequestType</key><string>EraseDevice")
    assert _built(Action.LOCK, sneaky) == {"Message": sneaky.message}


def test_play_lost_mode_sound() -> None:
    plist = plistlib.loads(build_play_sound("cmd-9"))
    assert plist == {"CommandUUID": "cmd-9", "Command": {"RequestType": "PlayLostModeSound"}}


def test_erase_options_of_the_org_go_to_iphones_only() -> None:
    """Apple's device.erase.yaml: `PreserveDataPlan` (iOS 11.0) and `DisallowProximitySetup`
    (iOS 11.3) are "presence: optional, default: false"; macOS: "introduced: n/a"."""
    options = EraseOptions(preserve_data_plan=True, disallow_proximity_setup=True)
    body = build_command("c", Action.WIPE, CommandParams(), IOS, erase=options)
    assert plistlib.loads(body)["Command"] == {
        "RequestType": "EraseDevice", "PreserveDataPlan": True, "DisallowProximitySetup": True}
    mac = build_command("c", Action.WIPE, CommandParams(), MACOS, erase=options)
    assert set(plistlib.loads(mac)["Command"]) == {"RequestType"}
    assert _built(Action.WIPE, CommandParams(), IOS) == {}  # Apple's defaults: not sent
