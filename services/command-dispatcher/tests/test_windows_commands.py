"""Windows commands per action and what the device's answers mean."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest
from command_dispatcher.windows.commands import (
    INVENTORY_NODES,
    LOCATION_NODES,
    build_commands,
    interpret,
)
from command_dispatcher.windows.errors import Unsupported
from command_dispatcher.windows.messages import Command, Container, Item, Results, Status
from ssp_contracts.enums import Action

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def _targets(command: Command | Container) -> list[str]:
    if isinstance(command, Container):
        return [t for inner in command.commands for t in _targets(inner)]
    return [item.target or "" for item in command.items]


def test_wipe_is_one_exec_of_do_wipe_protected() -> None:
    built = build_commands(Action.WIPE, itertools.count(5))
    (command,) = built.commands
    assert isinstance(command, Command) and command.verb == "Exec" and command.cmd_id == "5"
    assert command.items == (Item(target="./Device/Vendor/MSFT/RemoteWipe/doWipeProtected",
                                  format="chr", type="text/plain", data=""),)
    plain = build_commands(Action.WIPE, itertools.count(1), wipe="doWipe")
    assert _targets(plain.commands[0]) == ["./Device/Vendor/MSFT/RemoteWipe/doWipe"]
    with pytest.raises(Unsupported):
        build_commands(Action.WIPE, itertools.count(1), wipe="doEverything")


def test_locate_wraps_its_gets_in_a_sequence_inside_the_atomic() -> None:
    """OMA DM protocol support (learn.microsoft.com/windows/client-management/
    oma-dm-protocol-support), DM protocol commands: "Atomic: ... Nested Atomic and Get commands
    aren't allowed and will generate error code 500." RemoteFind CSP, Location: "Required. Nodes
    under this path must be queried atomically in order to succeed"; its Example frames the Gets
    as <Atomic><CmdID>1</CmdID><Sequence><CmdID>10</CmdID><Get>...</Get>...</Sequence></Atomic>.
    """
    built = build_commands(Action.LOCATE, itertools.count(1))
    (atomic,) = built.commands
    assert isinstance(atomic, Container) and atomic.verb == "Atomic"
    (sequence,) = atomic.commands  # nothing but the Sequence directly inside the Atomic
    assert isinstance(sequence, Container) and sequence.verb == "Sequence"
    assert all(isinstance(c, Command) and c.verb == "Get" for c in sequence.commands)
    assert _targets(atomic) == list(LOCATION_NODES)
    assert built.cmd_ids == ("1", "2", "3", "4", "5", "6", "7")


def _containers_hold_no_get_directly_in_an_atomic(command: Command | Container) -> bool:
    if not isinstance(command, Container):
        return True
    if command.verb == "Atomic" and any(
            c.verb in ("Get", "Atomic") for c in command.commands):
        return False
    return all(_containers_hold_no_get_directly_in_an_atomic(c) for c in command.commands)


@pytest.mark.parametrize("action", [Action.WIPE, Action.LOCATE, Action.REFRESH])
def test_no_command_puts_a_get_or_an_atomic_directly_inside_an_atomic(action: Action) -> None:
    """OMA DM protocol support, DM protocol commands, Atomic: "Nested Atomic and Get commands
    aren't allowed and will generate error code 500." The CSP pages' examples frame the rest:
    RemoteWipe's doWipe* is a lone Exec and DevDetail/DeviceStatus values are plain Gets in the
    SyncBody."""
    built = build_commands(action, itertools.count(1))
    assert all(_containers_hold_no_get_directly_in_an_atomic(c) for c in built.commands)


def test_refresh_gets_every_inventory_node() -> None:
    built = build_commands(Action.REFRESH, itertools.count(1))
    assert [t for c in built.commands for t in _targets(c)] == list(INVENTORY_NODES)


def test_cmd_ids_stay_unique_across_actions_in_one_message() -> None:
    ids = itertools.count(1)
    all_ids = [i for action in (Action.WIPE, Action.LOCATE, Action.REFRESH)
               for i in build_commands(action, ids).cmd_ids]
    assert len(all_ids) == len(set(all_ids))


@pytest.mark.parametrize(("action", "code"), [
    (Action.LOCK, "unsupported.lock_windows"),
    (Action.RESET_PASSCODE, "unsupported.passcode_windows"),
    (Action.ENABLE_LOST_MODE, "unsupported.lost_mode_windows"),
    (Action.DISABLE_LOST_MODE, "unsupported.lost_mode_windows"),
])
def test_unsupported_actions_carry_the_capability_reason(action: Action, code: str) -> None:
    with pytest.raises(Unsupported) as caught:
        build_commands(action, itertools.count(1))
    assert caught.value.code == code and caught.value.message.endswith(".")


def _status(cmd_ref: str, cmd: str, code: str) -> Status:
    return Status("9", "1", cmd_ref, cmd, code)


_LOCATION_FIELDS = ("Latitude", "Longitude", "Accuracy", "Altitude", "Age")


def _results(cmd_ref: str, **values: str) -> Results:
    """Results items; location fields by short name, anything else by full LocURI."""
    def uri(key: str) -> str:
        return f"./Vendor/MSFT/RemoteFind/Location/{key}" if key in _LOCATION_FIELDS else key

    items = tuple(Item(source=uri(key), data=value) for key, value in values.items())
    return Results("10", "1", cmd_ref, items)


def test_no_status_yet_means_no_outcome() -> None:
    assert interpret(Action.WIPE, [], []) is None


def test_wipe_outcomes() -> None:
    assert interpret(Action.WIPE, [_status("5", "Exec", "200")], []).outcome == "acknowledged"
    failed = interpret(Action.WIPE, [_status("5", "Exec", "500")], [])
    assert (failed.outcome, failed.platform_status) == ("failed", "500")
    assert interpret(Action.WIPE, [_status("5", "Exec", "404")], []).reason.startswith(
        "The device does not have this feature")


def test_locate_with_a_fix() -> None:
    statuses = [_status("1", "Atomic", "200"), _status("2", "Sequence", "200")]
    statuses += [_status(str(i), "Get", "200") for i in range(3, 8)]
    results = [_results("3", Latitude="48.137154"), _results("4", Longitude="11.576124"),
               _results("5", Accuracy="35"), _results("7", Age="300000000")]
    outcome = interpret(Action.LOCATE, statuses, results, now=NOW)
    assert outcome.outcome == "acknowledged"
    location = outcome.location
    assert (location.latitude, location.longitude, location.accuracy_m) == (
        48.137154, 11.576124, 35.0)
    assert location.at == NOW - timedelta(seconds=30)  # Age counts 100-ns units


def test_locate_failures() -> None:
    rolled_back = [_status("1", "Atomic", "507"), _status("2", "Get", "216"),
                   _status("3", "Get", "500")]
    outcome = interpret(Action.LOCATE, rolled_back, [])
    assert (outcome.outcome, outcome.platform_status) == ("failed", "500")  # the inner cause
    no_fix = interpret(Action.LOCATE, [_status("1", "Atomic", "200")],
                       [_results("2", Latitude="91.5"), _results("3", Longitude="11")])
    assert (no_fix.outcome, no_fix.location) == ("failed", None)


def _inventory(**values: str) -> dict:
    statuses = [_status(str(i), "Get", "200") for i in range(1, 8)]
    outcome = interpret(Action.REFRESH, statuses, [_results("1", **values)])
    assert outcome.outcome == "acknowledged"
    return outcome.inventory


def test_refresh_inventory() -> None:
    battery = "./Vendor/MSFT/DeviceStatus/Battery/EstimatedChargeRemaining"
    assert _inventory(**{
        "./DevInfo/Man": "Dell Inc.", "./DevInfo/Mod": "Latitude 7440",
        "./DevDetail/SwV": "10.0.22631.3880",
        "./DevDetail/Ext/Microsoft/SMBIOSSerialNumber": "5CG1234XYZ",
        "./DevDetail/Ext/Microsoft/DeviceName": "DESKTOP-7Q2M4KD", battery: "57",
    }) == {"name": "DESKTOP-7Q2M4KD", "model": "Latitude 7440",
           "os_version": "10.0.22631.3880", "battery_level": 0.57, "serial_number": "5CG1234XYZ"}


@pytest.mark.parametrize("value", ["-1", "7260", "101", "n/a"])
def test_battery_values_outside_a_percentage_are_unknown(value: str) -> None:
    battery = "./Vendor/MSFT/DeviceStatus/Battery/EstimatedChargeRemaining"
    assert "battery_level" not in _inventory(**{battery: value, "./DevDetail/SwV": "10.0"})


def test_refresh_tolerates_missing_nodes_but_not_total_failure() -> None:
    statuses = [_status("1", "Get", "200"), _status("6", "Get", "404")]
    outcome = interpret(Action.REFRESH, statuses, [_results("1", **{"./DevInfo/Man": "LENOVO"})])
    assert outcome.outcome == "acknowledged" and outcome.inventory == {"model": "LENOVO"}
    failed = interpret(Action.REFRESH, [_status("1", "Get", "500"), _status("2", "Get", "404")],
                       [])
    assert (failed.outcome, failed.platform_status) == ("failed", "500")
    empty = interpret(Action.REFRESH, [_status("1", "Get", "200")], [])
    assert empty.outcome == "failed"
