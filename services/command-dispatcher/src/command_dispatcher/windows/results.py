"""What a device's Statuses and Results say about one command sent to it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from pydantic import ValidationError
from ssp_contracts.commands import CommandResult, ErrorDetail, Location
from ssp_contracts.devices import DeviceIdentifiers, DeviceInventory
from ssp_contracts.enums import Action

from command_dispatcher.windows.messages import Results, Status

_REASONS = {
    "400": "The device could not read the command.",
    "401": "The device refused the command: not authorized.",
    "403": "The device refused the command.",
    "404": "The device does not have this feature (node not found).",
    "405": "The device does not allow this command.",
    "406": "The device does not support this command.",
    "500": "The device failed to run the command.",
    "507": "The device could not run the commands together; none of them took effect.",
}


@dataclass(frozen=True)
class WindowsOutcome:
    outcome: Literal["acknowledged", "failed"]
    reason: str | None = None
    platform_status: str | None = None  # the deciding SyncML status code
    location: Location | None = None
    inventory: dict[str, Any] | None = None

    def to_command_result(self) -> CommandResult:
        errors = [ErrorDetail(code=self.platform_status or "unknown", domain="oma-dm",
                              message=self.reason)] if self.outcome == "failed" else []
        return CommandResult(location=self.location, inventory=self.inventory, errors=errors,
                             platform_status=self.platform_status)


def _ok(status: Status) -> bool:
    return status.data.startswith("2")


def _first_failure(statuses: Sequence[Status]) -> Status | None:
    """The failure that explains most: an inner command's, not its Atomic's or Sequence's."""
    failures = [s for s in statuses if not _ok(s)]
    inner = [s for s in failures if s.cmd not in ("Atomic", "Sequence")]
    return inner[0] if inner else failures[0] if failures else None


def _failed(status: Status, *, action: Action) -> WindowsOutcome:
    reason = _REASONS.get(status.data, f"The device answered with status {status.data}.")
    return WindowsOutcome("failed", reason, status.data)


def _values(results: Sequence[Results]) -> dict[str, str]:
    return {
        item.source or item.target or "": item.data
        for result in results for item in result.items if item.data not in (None, "")
    }


def _number(values: dict[str, str], suffix: str) -> float | None:
    raw = next((v for k, v in values.items() if k.endswith(suffix)), None)
    try:
        return float(raw) if raw is not None else None
    except ValueError:
        return None


def _location(values: dict[str, str], now: datetime) -> Location | None:
    age = _number(values, "/Location/Age")  # in 100-nanosecond units (RemoteFind CSP)
    at = now - timedelta(microseconds=age / 10) if age is not None and age >= 0 else now
    latitude = _number(values, "/Location/Latitude")
    longitude = _number(values, "/Location/Longitude")
    accuracy = _number(values, "/Location/Accuracy")
    if latitude is None or longitude is None:
        return None
    try:
        return Location(latitude=latitude, longitude=longitude, at=at,
                        accuracy_m=accuracy if accuracy is not None and accuracy >= 0 else None)
    except ValidationError:
        return None  # out of range: no fix we can show


def _battery(values: dict[str, str]) -> float | None:
    # The DeviceStatus CSP page describes EstimatedChargeRemaining with the text of
    # EstimatedRuntime (seconds, -1 on AC): ambiguous. Devices report a percentage (as WMI's
    # Win32_Battery does); anything outside 0-100 is taken as "unknown", never as a level.
    percent = _number(values, "/Battery/EstimatedChargeRemaining")
    return percent / 100 if percent is not None and 0 <= percent <= 100 else None


def _inventory(values: dict[str, str]) -> dict[str, Any]:
    def text(suffix: str) -> str | None:
        return next((v.strip() for k, v in values.items() if k.endswith(suffix)), None) or None

    candidates = {
        # Like Android's hardwareInfo.model: the model alone; the maker only when that is all.
        "name": text("/Ext/Microsoft/DeviceName"),
        "model": text("/DevInfo/Mod") or text("/DevInfo/Man"),
        "os_version": text("/DevDetail/SwV"), "battery_level": _battery(values),
        "serial_number": text("/Ext/Microsoft/SMBIOSSerialNumber"),
    }
    kept = {}
    for key, value in candidates.items():
        contract = DeviceIdentifiers if key == "serial_number" else DeviceInventory
        try:
            if value is not None:
                contract.model_validate({key: value})
                kept[key] = value
        except ValidationError:
            continue  # one odd value must not drop the others
    return kept


def interpret(
    action: Action, statuses: Sequence[Status], results: Sequence[Results],
    *, now: datetime | None = None,
) -> WindowsOutcome | None:
    """The outcome of one action from the Statuses/Results answering its commands.

    None when no Status answers it yet.
    """
    if not statuses:
        return None
    now = now or datetime.now(UTC)
    values = _values(results)
    if action is Action.REFRESH:
        # Per-node 404s are normal (no battery node on some desktops); one value is enough.
        failure = _first_failure(statuses)
        if not any(_ok(s) for s in statuses) and failure is not None:
            return _failed(failure, action=action)
        if not values:
            return WindowsOutcome("failed", "The device reported no values.", "200")
        return WindowsOutcome("acknowledged", platform_status="200", inventory=_inventory(values))
    failure = _first_failure(statuses)
    if failure is not None:
        return _failed(failure, action=action)
    if action is Action.LOCATE:
        location = _location(values, now)
        if location is None:
            return WindowsOutcome("failed", "The device did not report a position.", "200")
        return WindowsOutcome("acknowledged", platform_status="200", location=location)
    return WindowsOutcome("acknowledged", platform_status="200")
