"""The simulator's world: devices, command operations and a record of what each command did.

Operations finish lazily: every request first settles those whose delay has passed, which
looks the same from outside as a device acting on its own and needs no background task.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from ssp_simulators.android.devices import DeviceKind, SimulatedAndroidDevice, rfc3339
from ssp_simulators.android.errors import not_found
from ssp_simulators.android.validation import validate_command

COMMAND_TYPE_URL = "type.googleapis.com/google.android.devicemanagement.v1.Command"
_LOST_MODE_API = {DeviceKind.FULLY_MANAGED: 30, DeviceKind.WORK_PROFILE_COMPANY: 33}
_DELETES_DEVICE = frozenset({"WIPE", "RELINQUISH_OWNERSHIP"})
RELINQUISH_API = 26  # Android 8.0


@dataclass(frozen=True)
class Effect:
    """What one command did to a device, for tests: `outcome` is SUCCESS or the failure."""

    command_type: str
    outcome: str
    at: datetime
    details: dict[str, Any] = field(default_factory=dict)


@dataclass
class SimulatedOperation:
    name: str
    device_name: str
    command: dict[str, Any] = field(repr=False)  # as issued (holds newPassword)
    metadata: dict[str, Any]
    due: float  # monotonic time at which the device "runs" it
    done: bool = False
    error: dict[str, Any] | None = None

    def resource(self) -> dict[str, Any]:
        operation: dict[str, Any] = {
            "name": self.name, "metadata": self.metadata, "done": self.done
        }
        if self.error:
            operation["error"] = self.error
        return operation


class AmapiState:
    def __init__(
        self, *, completion_delay_s: float = 0.0, lost_mode_cooldown: timedelta = timedelta(0),
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.devices: dict[str, SimulatedAndroidDevice] = {}
        self.removed: dict[str, SimulatedAndroidDevice] = {}  # deleted or wiped
        self.operations: dict[str, SimulatedOperation] = {}
        self.effects: dict[str, list[Effect]] = {}
        self.completion_delay_s = completion_delay_s
        # Android refuses lost mode for a while after a password reset or a user's exit.
        self.lost_mode_cooldown = lost_mode_cooldown
        self._clock = clock

    def add(self, device: SimulatedAndroidDevice) -> None:
        self.devices[device.name] = device

    def device(self, name: str) -> SimulatedAndroidDevice:
        if name not in self.devices:
            raise not_found(name)
        return self.devices[name]

    def issue(self, device_name: str, body: Any) -> SimulatedOperation:
        device = self.device(device_name)
        command_type = validate_command(body, api_level=device.api_level)
        now = datetime.now(UTC)
        public = {k: v for k, v in body.items() if k != "newPassword"}  # never echoed back
        metadata = {"@type": COMMAND_TYPE_URL, **public, "type": command_type,
                    "createTime": rfc3339(now), "duration": body.get("duration", "600s"),
                    "userName": f"{device_name.split('/devices/')[0]}/users/ssp-dispatcher"}
        operation = SimulatedOperation(
            name=f"{device_name}/operations/{uuid.uuid4().int % 10**16}", device_name=device_name,
            command=body, metadata=metadata, due=self._clock() + self.completion_delay_s,
        )
        self.operations[operation.name] = operation
        return operation

    def operation(self, name: str) -> SimulatedOperation:
        if name not in self.operations:
            raise not_found(name)
        return self.operations[name]

    def cancel(self, name: str) -> None:
        operation = self.operation(name)
        if not operation.done:  # google.longrunning: a canceled operation ends with CANCELLED
            operation.done = True
            operation.error = {"code": 1, "message": "Operation was cancelled."}

    def delete(self, name: str, wipe_flags: list[str], wipe_reason: str | None) -> None:
        device = self.device(name)
        self._record(device, "DELETE", "SUCCESS", wipe_flags=wipe_flags, wipe_reason=wipe_reason,
                     factory_reset=device.kind is not DeviceKind.WORK_PROFILE_PERSONAL)
        self.removed[name] = self.devices.pop(name)

    def settle(self) -> None:
        """Run every operation whose delay has passed, in the order they were issued."""
        now = self._clock()
        for operation in self.operations.values():
            if not operation.done and operation.due <= now:
                self._run(operation)

    def user_exits_lost_mode(self, name: str) -> None:
        """The person holding the device leaves lost mode (Android then refuses it a while)."""
        device = self.device(name)
        device.applied_state, device.lost_mode_ended_at = "ACTIVE", datetime.now(UTC)

    def _record(
        self, device: SimulatedAndroidDevice, kind: str, outcome: str, **details: Any
    ) -> None:
        self.effects.setdefault(device.name, []).append(
            Effect(kind, outcome, datetime.now(UTC), details)
        )

    def _run(self, operation: SimulatedOperation) -> None:
        operation.done = True
        device = self.devices.get(operation.device_name)
        if device is None:  # deleted meanwhile: the command can never reach it
            operation.error = {"code": 5, "message": "The device no longer exists."}
            return
        status_key, outcome = self._apply(device, operation.command, operation.metadata["type"])
        if status_key == "errorCode":
            operation.metadata["errorCode"] = outcome
        elif status_key:
            operation.metadata[status_key] = {"status": outcome}
        device.last_report_at = datetime.now(UTC)
        self._record(device, operation.metadata["type"], outcome)
        # Both end management: Google deletes the device record once the device acknowledged.
        if operation.metadata["type"] in _DELETES_DEVICE and outcome == "SUCCESS":
            self.removed[device.name] = self.devices.pop(device.name)

    def _apply(
        self, device: SimulatedAndroidDevice, command: dict[str, Any], command_type: str
    ) -> tuple[str | None, str]:
        now = datetime.now(UTC)
        if command_type == "LOCK":
            device.lock_count += 1
        elif command_type == "RESET_PASSWORD":
            device.password = command.get("newPassword")
            device.password_reset_at = now
        elif command_type in ("START_LOST_MODE", "STOP_LOST_MODE"):
            return self._lost_mode(device, command_type, now)
        elif command_type == "RELINQUISH_OWNERSHIP":
            # Company-owned devices with a work profile only (AMAPI's deprovisioning guide):
            # the work profile goes, the personal profile stays.
            if device.kind is not DeviceKind.WORK_PROFILE_COMPANY:
                return "errorCode", "MANAGEMENT_MODE"
            if device.api_level < RELINQUISH_API:
                return "errorCode", "API_LEVEL"
        elif command_type != "WIPE":
            return "errorCode", "UNSUPPORTED"  # the simulator implements the portal's commands
        return None, "SUCCESS"

    def _lost_mode(
        self, device: SimulatedAndroidDevice, command_type: str, now: datetime
    ) -> tuple[str, str]:
        if device.kind not in _LOST_MODE_API:
            return "errorCode", "MANAGEMENT_MODE"  # personally owned: lost mode does not exist
        if device.api_level < _LOST_MODE_API[device.kind]:
            return "errorCode", "API_LEVEL"
        if command_type == "STOP_LOST_MODE":
            if device.applied_state != "LOST":
                return "stopLostModeStatus", "NOT_IN_LOST_MODE"
            device.applied_state = "ACTIVE"
            return "stopLostModeStatus", "SUCCESS"
        if device.applied_state == "LOST":
            return "startLostModeStatus", "ALREADY_IN_LOST_MODE"
        cooldown = self.lost_mode_cooldown
        if device.password_reset_at and now - device.password_reset_at < cooldown:
            return "startLostModeStatus", "RESET_PASSWORD_RECENTLY"
        if device.lost_mode_ended_at and now - device.lost_mode_ended_at < cooldown:
            return "startLostModeStatus", "USER_EXIT_LOST_MODE_RECENTLY"
        device.applied_state = "LOST"
        return "startLostModeStatus", "SUCCESS"

