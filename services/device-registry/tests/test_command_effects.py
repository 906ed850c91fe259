"""Folding the progress of commands into device state."""

from datetime import UTC, datetime, timedelta

import pytest
from device_registry.domain import can_change_device
from device_registry.domain.device_state import DeviceState, apply_command_status
from ssp_contracts.commands import CommandResult, CommandStatusChanged, Location
from ssp_contracts.enums import Action, CommandStatus, ManagementMode, Platform

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
S = CommandStatus


def device(**fields) -> DeviceState:
    return DeviceState(org_id="acme", device_id="dev-1", version=5, platform=Platform.IOS,
                       management_mode=ManagementMode.IOS_SUPERVISED, **fields)


def status(action: str, state: CommandStatus = S.ACKNOWLEDGED, at: datetime = T0,
           result: CommandResult | None = None) -> CommandStatusChanged:
    return CommandStatusChanged(
        org_id="acme", command_id="cmd-1", device_id="dev-1", action=Action(action),
        status=state, version=3, requested_by="u-1", result=result, occurred_at=at,
    )


def fix(at: datetime, latitude: float = 52.5) -> CommandResult:
    return CommandResult(location=Location(latitude=latitude, longitude=13.4, at=at))


def test_lost_mode_on_and_off():
    on = apply_command_status(device(), status("enable_lost_mode"))
    assert on.lost_mode and on.version == 6
    off = apply_command_status(on, status("disable_lost_mode"))
    assert not off.lost_mode and off.version == 7


@pytest.mark.parametrize("pending", [S.REQUESTED, S.AUTHORIZED, S.QUEUED, S.SENT, S.FAILED])
def test_lost_mode_changes_only_when_acknowledged(pending):
    state = device()
    assert apply_command_status(state, status("enable_lost_mode", pending)) is state


def test_locate_keeps_the_newest_fix():
    state = apply_command_status(device(), status("locate", result=fix(T0)))
    assert state.last_location.latitude == 52.5 and state.version == 6
    later_fix = fix(T0 + timedelta(minutes=1), 48.1)
    newer = apply_command_status(state, status("locate", result=later_fix))
    assert newer.last_location.latitude == 48.1
    assert apply_command_status(newer, status("locate", result=fix(T0, 40.0))) is newer


def test_locate_without_a_location_changes_nothing():
    state = device()
    assert apply_command_status(state, status("locate", result=CommandResult())) is state
    assert apply_command_status(state, status("locate")) is state


def test_lock_records_when():
    state = apply_command_status(device(), status("lock", at=T0))
    assert state.locked_at == T0
    assert apply_command_status(state, status("lock", at=T0 - timedelta(hours=1))) is state


@pytest.mark.parametrize("pending", [S.AUTHORIZED, S.QUEUED, S.SENT])
def test_wipe_in_flight_is_pending(pending):
    assert apply_command_status(device(), status("wipe", pending)).wipe_state == "pending"


def test_acknowledged_wipe_is_wiped_and_ends_lost_mode():
    state = apply_command_status(device(lost_mode=True, wipe_state="pending"), status("wipe"))
    assert state.wipe_state == "wiped" and state.lost_mode is False and state.version == 6


def test_a_replayed_earlier_wipe_status_does_not_undo_wiped():
    state = device(wipe_state="wiped")
    assert apply_command_status(state, status("wipe", S.SENT)) is state


@pytest.mark.parametrize("ended", [S.REJECTED, S.FAILED, S.EXPIRED, S.CANCELED])
def test_a_wipe_that_ended_without_erasing_is_no_longer_pending(ended):
    pending = device(wipe_state="pending")
    assert apply_command_status(pending, status("wipe", ended)).wipe_state == "none"
    wiped = device(wipe_state="wiped")
    assert apply_command_status(wiped, status("wipe", ended)) is wiped


def test_refresh_merges_known_valid_fields_of_the_result():
    result = CommandResult(inventory={
        "os_version": "17.5", "battery_level": 1.5, "storage_free_bytes": "1000",
        "serial_number": "F2LXK0ABCD", "unknown_field": "x", "model": None,
    })
    state = apply_command_status(device(model="iPhone15,2", battery_level=0.3),
                                 status("refresh", result=result))
    assert state.os_version == "17.5" and state.storage_free_bytes == 1000
    assert state.battery_level == 0.3 and state.model == "iPhone15,2"  # invalid / absent kept
    assert state.identifiers.serial_number == "F2LXK0ABCD"


def test_refresh_not_acknowledged_or_empty_changes_nothing():
    state = device()
    result = CommandResult(inventory={"os_version": "18.0"})
    assert apply_command_status(state, status("refresh", S.SENT, result=result)) is state
    assert apply_command_status(state, status("refresh", result=CommandResult())) is state


@pytest.mark.parametrize("action", ["reset_passcode"])
def test_other_actions_change_nothing(action):
    state = device()
    assert apply_command_status(state, status(action)) is state


@pytest.mark.parametrize("action", list(Action))
@pytest.mark.parametrize("state", list(CommandStatus))
def test_a_status_said_to_change_nothing_changes_nothing(action, state):
    """The handler skips reading the device when can_change_device says no: the fold must
    agree, whatever the device looks like (wipe pending, located, locked)."""
    event = status(action.value, state, result=fix(T0 + timedelta(hours=1)))
    for before in (device(), device(wipe_state="pending"), device(locked_at=T0)):
        if not can_change_device(event):
            assert apply_command_status(before, event) is before
    if state is S.ACKNOWLEDGED or action is Action.WIPE:
        assert can_change_device(event)



def test_an_acknowledged_retire_leaves_the_device_no_longer_managed():
    managed = device(enrolled=True, enrolled_at=T0 - timedelta(days=3), lost_mode=True)
    for pending in (S.AUTHORIZED, S.QUEUED, S.SENT, S.FAILED, S.EXPIRED):
        assert apply_command_status(managed, status("retire", pending)).enrolled
    retired = apply_command_status(managed, status("retire"))
    assert not retired.enrolled and not retired.lost_mode and retired.wipe_state == "none"


def test_a_retire_answered_before_a_re_enrollment_does_not_unenroll_it():
    reenrolled = device(enrolled=True, enrolled_at=T0 + timedelta(minutes=5))
    assert apply_command_status(reenrolled, status("retire")).enrolled
