"""The simulator's pure part: devices answer commands like real ones (no I/O)."""

import plistlib
import random
from datetime import UTC, datetime
from typing import Any

import pytest
from command_dispatcher.apple.checkin import parse_checkin
from command_dispatcher.apple.commands import build_command
from command_dispatcher.apple.results import ReportStatus, parse_report, to_command_result
from ssp_contracts.commands import CommandParams
from ssp_contracts.enums import Action, Platform
from ssp_simulators.apple.answers import answer, idle_report
from ssp_simulators.apple.device import SimulatedDevice, new_iphone, new_mac

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
LOST = CommandParams(message="Lost", phone_number="+1 555 0100", footnote="Thanks")


@pytest.fixture
def iphone() -> SimulatedDevice:
    device = new_iphone(random.Random(1), supervised=True)
    device.new_push_credentials(random.Random(2))
    return device


@pytest.fixture
def unsupervised() -> SimulatedDevice:
    return new_iphone(random.Random(3), supervised=False)


@pytest.fixture
def mac() -> SimulatedDevice:
    return new_mac(random.Random(4))


def _run(
    device: SimulatedDevice,
    action: Action,
    params: CommandParams = LOST,
    uuid: str = "c1",
    **kwargs: Any,
) -> dict[str, Any]:
    """Build the command with the dispatcher's code, answer it, return the report plist."""
    command = build_command(uuid, action, params, Platform(device.platform), device.unlock_token)
    report = answer(device, plistlib.loads(command), now=NOW, **kwargs).report
    parse_report(plistlib.dumps(report))  # every report must be one the dispatcher accepts
    return report


def _error_code(report: dict[str, Any]) -> int:
    assert report["Status"] == "Error"
    return report["ErrorChain"][0]["ErrorCode"]


def test_devices_are_reproducible_and_plausible() -> None:
    a, b = (
        new_iphone(random.Random(7), supervised=True),
        new_iphone(random.Random(7), supervised=True),
    )
    assert (a.udid, a.serial_number, a.imei) == (b.udid, b.serial_number, b.imei)
    assert a.imei is not None and len(a.imei) == 15
    digits = [int(c) for c in a.imei]
    luhn = sum(d if i % 2 == 0 else (d * 2 - 9 if d > 4 else d * 2) for i, d in enumerate(digits))
    assert luhn % 10 == 0


def test_checkin_messages_parse_with_the_dispatcher(
    iphone: SimulatedDevice, mac: SimulatedDevice
) -> None:
    auth = parse_checkin(plistlib.dumps(iphone.authenticate_message()))
    token = parse_checkin(plistlib.dumps(iphone.token_update_message()))
    assert auth.device_identifier == iphone.udid
    assert getattr(auth, "serial_number", None) == iphone.serial_number
    assert getattr(token, "unlock_token", None) == iphone.unlock_token
    mac.new_push_credentials(random.Random(5))
    assert parse_checkin(plistlib.dumps(mac.token_update_message())).unlock_token is None
    assert parse_checkin(plistlib.dumps(mac.checkout_message())).device_identifier == mac.udid


def test_lost_mode_round_trip(iphone: SimulatedDevice) -> None:
    assert _error_code(_run(iphone, Action.DISABLE_LOST_MODE)) == 12067
    assert _run(iphone, Action.ENABLE_LOST_MODE)["Status"] == "Acknowledged"
    assert iphone.state.lost_mode
    assert (iphone.state.lost_message, iphone.state.lost_footnote) == ("Lost", "Thanks")
    assert _run(iphone, Action.DISABLE_LOST_MODE)["Status"] == "Acknowledged"
    assert not iphone.state.lost_mode


def test_location_only_in_lost_mode(iphone: SimulatedDevice) -> None:
    assert _error_code(_run(iphone, Action.LOCATE)) == 12067
    _run(iphone, Action.ENABLE_LOST_MODE)
    report = _run(iphone, Action.LOCATE, uuid="c2")
    result = to_command_result(parse_report(plistlib.dumps(report)))
    assert result is not None and result.location is not None
    assert (result.location.latitude, result.location.longitude) == (
        iphone.latitude,
        iphone.longitude,
    )
    assert result.location.at == NOW


def test_supervised_only_commands_are_not_valid_elsewhere(
    unsupervised: SimulatedDevice, mac: SimulatedDevice
) -> None:
    assert _error_code(_run(unsupervised, Action.ENABLE_LOST_MODE)) == 12021
    assert _error_code(_run(unsupervised, Action.LOCATE)) == 12021
    command = {"CommandUUID": "c", "Command": {"RequestType": "EnableLostMode", "Message": "x"}}
    assert _error_code(answer(mac, command).report) == 12021
    command = {"CommandUUID": "c", "Command": {"RequestType": "ClearPasscode", "UnlockToken": b"x"}}
    assert _error_code(answer(mac, command).report) == 12021


def test_lock(iphone: SimulatedDevice, mac: SimulatedDevice) -> None:
    assert _run(iphone, Action.LOCK)["MessageResult"] == "Success"
    assert iphone.state.lock_count == 1
    _run(iphone, Action.ENABLE_LOST_MODE)
    assert _run(iphone, Action.LOCK)["MessageResult"] == "DeviceInLostMode"
    assert _run(mac, Action.LOCK, CommandParams(pin="123456"))["MessageResult"] == "Success"
    # PIN is optional (device.lock.yaml); only an older Mac (no T2, no Apple silicon) needs it.
    no_pin = {"CommandUUID": "c", "Command": {"RequestType": "DeviceLock"}}
    assert answer(mac, no_pin).report["Status"] == "Acknowledged"
    mac.needs_pin = True
    assert answer(mac, no_pin).report["Status"] == "CommandFormatError"


def test_erase_acknowledges_then_wipes(iphone: SimulatedDevice) -> None:
    iphone.state.enrolled = True
    _run(iphone, Action.ENABLE_LOST_MODE)
    command = plistlib.loads(build_command("c9", Action.WIPE, LOST, Platform.IOS))
    result = answer(iphone, command)
    assert result.report["Status"] == "Acknowledged" and result.erase_after_sending
    iphone.erase()
    assert not iphone.state.lost_mode and not iphone.state.enrolled
    assert iphone.wipe_count == 1 and iphone.push_token == b""


def test_clear_passcode_checks_the_unlock_token(iphone: SimulatedDevice) -> None:
    assert _run(iphone, Action.RESET_PASSCODE)["Status"] == "Acknowledged"
    assert not iphone.state.passcode_set
    wrong = build_command("c2", Action.RESET_PASSCODE, LOST, Platform.IOS, b"not-it")
    assert _error_code(answer(iphone, plistlib.loads(wrong)).report) == 12023


def test_device_information_round_trip(iphone: SimulatedDevice, mac: SimulatedDevice) -> None:
    result = to_command_result(parse_report(plistlib.dumps(_run(iphone, Action.REFRESH))))
    assert result is not None and result.inventory is not None
    inventory = result.inventory
    assert inventory["serial_number"] == iphone.serial_number
    assert inventory["battery_level"] == iphone.battery_level
    assert inventory["storage_total_bytes"] == round(iphone.capacity_gb * 1e9)
    assert inventory["lost_mode"] is False
    assert inventory["model"] == "iPhone (iPhone15,2)"
    mac_result = to_command_result(parse_report(plistlib.dumps(_run(mac, Action.REFRESH))))
    assert mac_result is not None and mac_result.inventory is not None
    assert "lost_mode" not in mac_result.inventory and "imei" not in mac_result.inventory


def test_not_now_declines_without_side_effects(iphone: SimulatedDevice) -> None:
    report = _run(iphone, Action.ENABLE_LOST_MODE, not_now=True)
    assert report["Status"] == ReportStatus.NOT_NOW
    assert not iphone.state.lost_mode
    assert [r.executed for r in iphone.received] == [False]


def test_every_command_is_recorded_and_repeats_are_visible(iphone: SimulatedDevice) -> None:
    _run(iphone, Action.LOCK, uuid="a")
    _run(iphone, Action.LOCK, uuid="b")
    assert iphone.executed_twice() == set()
    _run(iphone, Action.LOCK, uuid="a")
    assert iphone.executed_twice() == {"a"}
    assert [r.command_uuid for r in iphone.received] == ["a", "b", "a"]


def test_unknown_and_malformed_commands(iphone: SimulatedDevice) -> None:
    unknown = answer(iphone, {"CommandUUID": "c", "Command": {"RequestType": "Teleport"}}).report
    assert _error_code(unknown) == 12021
    assert answer(iphone, {"Command": {}}).report["Status"] == "CommandFormatError"
    assert idle_report(iphone) == {"UDID": iphone.udid, "Status": "Idle"}


def _remove(device: SimulatedDevice, identifier: str | None) -> Any:
    command = build_command("c-rm", Action.RETIRE, CommandParams(), Platform(device.platform),
                            mdm_profile=identifier) if identifier else plistlib.dumps(
        {"CommandUUID": "c-rm", "Command": {"RequestType": "RemoveProfile"}})
    result = answer(device, plistlib.loads(command), now=NOW)
    parse_report(plistlib.dumps(result.report))
    return result


@pytest.mark.parametrize("user_enrollment", [False, True])
def test_removing_the_enrollment_profile_ends_management_after_the_answer(
        mac: SimulatedDevice, user_enrollment: bool) -> None:
    mac.user_enrollment = user_enrollment  # profile.remove.yaml: allowed in User Enrollment
    result = _remove(mac, mac.mdm_profile_identifier)
    assert result.report["Status"] == "Acknowledged" and result.unenroll_after_sending
    assert not result.erase_after_sending
    mac.state.enrolled = True
    mac.remove_management()
    assert not mac.state.enrolled and mac.unenroll_count == 1 and mac.wipe_count == 0


def test_removing_another_profile_or_none_is_refused(iphone: SimulatedDevice) -> None:
    other = _remove(iphone, "com.example.other")
    assert other.report["Status"] == "Error" and not other.unenroll_after_sending
    assert other.report["ErrorChain"][0]["ErrorDomain"] == "MCProfileErrorDomain"
    assert _remove(iphone, None).report["Status"] == "CommandFormatError"
