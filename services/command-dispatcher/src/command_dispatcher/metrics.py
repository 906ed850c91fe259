"""What the dispatcher counts about commands, observed where every change is stored
(`CommandStore`), so every platform and every path (device answer, sweep, refusal) is seen once.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram
from ssp_contracts.enums import CommandStatus

from command_dispatcher.lifecycle import Command

S = CommandStatus
FINAL = frozenset({S.ACKNOWLEDGED, S.FAILED, S.EXPIRED, S.CANCELED})
UNKNOWN = "unknown"
# From a push-woken phone answering in a second to a wipe that waits a day for its device.
BUCKETS = (0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900, 1800, 3600, 4 * 3600, 24 * 3600)


class CommandMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.received = Counter(
            "ssp_commands_received", "Authorized commands the dispatcher accepted into a queue",
            ["platform", "action"], registry=registry)
        self.finished = Counter(
            "ssp_commands", "Commands that reached a final status",
            ["platform", "action", "status"], registry=registry)
        self.unsuccessful = Counter(
            "ssp_command_failures", "Failed, expired and canceled commands by reason code",
            ["platform", "status", "reason_code"], registry=registry)
        self.duration = Histogram(
            "ssp_command_duration_seconds",
            "From authorized (stored by the dispatcher) to the final status",
            ["platform", "action", "status"], buckets=BUCKETS, registry=registry)

    def queued(self, cmd: Command) -> None:
        self.received.labels(cmd.platform or UNKNOWN, cmd.action.value).inc()

    def changed(self, after: Command) -> None:
        """Call once per stored transition; only final ones count."""
        if after.status not in FINAL:
            return
        seconds = (after.history[-1][1] - after.created_at).total_seconds() \
            if after.history else 0.0
        self._final(after.platform or UNKNOWN, after.action.value, after.status,
                    after.reason_code, max(0.0, seconds))

    def refused(self, platform: str | None, action: str, status: CommandStatus,
                reason_code: str | None) -> None:
        """A command answered without ever being queued (unsupported, duplicate pending)."""
        self._final(platform or UNKNOWN, action, status, reason_code, 0.0)

    def _final(self, platform: str, action: str, status: CommandStatus,
               reason_code: str | None, seconds: float) -> None:
        self.finished.labels(platform, action, status.value).inc()
        self.duration.labels(platform, action, status.value).observe(seconds)
        if status is not S.ACKNOWLEDGED:
            self.unsuccessful.labels(platform, status.value, reason_code or UNKNOWN).inc()


class DeviceRefusals:
    """Device requests the device-facing endpoints refused before storing anything (the
    transport errors of MDM check-ins and OMA-DM sessions: unsigned, another certificate,
    unknown device, malformed or too large), by platform family and reason code."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.refused = Counter(
            "ssp_device_requests_refused",
            "Device requests refused before anything was stored, by platform family and code",
            ["family", "code"], registry=registry)

    def count(self, family: str, code: str) -> None:
        self.refused.labels(family, code).inc()
