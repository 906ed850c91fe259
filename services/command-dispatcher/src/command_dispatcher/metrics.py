"""What the dispatcher counts about commands, observed where every change is stored
(`CommandStore`), so every platform and every path (device answer, sweep, refusal) is seen once.
"""

from __future__ import annotations

import logging

from prometheus_client import CollectorRegistry, Counter, Histogram
from ssp_contracts.enums import CommandStatus
from starlette.responses import Response

from command_dispatcher.apple.errors import AppleMdmError
from command_dispatcher.lifecycle import Command
from command_dispatcher.windows.errors import WindowsMdmError

log = logging.getLogger(__name__)

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


# What a refused identity is answered with, per platform family. Apple devices remove their
# MDM profile on 401 (Apple's ErrorUnrecognizedDevice page: "Use this error instead of the
# server returning a 401 response to cause an unenroll"), so a server-side fault (a lost record,
# a proxy not forwarding the certificate, a CA rollover) must never answer 401: 400, as
# nanomdm's CertVerifyMiddleware does on purpose. docs/operations.md lists every answer.
IDENTITY_STATUS = {"apple": 400, "windows": 401}


class DeviceRefusals:
    """How the device-facing endpoints refuse a request before storing anything (Apple
    check-ins and connects, Windows OMA-DM sessions): one answer for both, the family's
    IDENTITY_STATUS for who the device is, 413 for a body too large, else 400; logged, and
    counted by platform family and reason code (the transport errors of the MDM protocols, for
    operators)."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.refused = Counter(
            "ssp_device_requests_refused",
            "Device requests refused before anything was stored, by platform family and code",
            ["family", "code"], registry=registry)

    def answer(self, family: str, exc: AppleMdmError | WindowsMdmError, *,
               identity: bool) -> Response:
        status = IDENTITY_STATUS.get(family, 400) if identity else \
            413 if exc.code.endswith(".too_large") else 400
        log.warning("refused a device request",
                    extra={"family": family, "code": exc.code, "status": status})
        self.refused.labels(family, exc.code).inc()
        return Response(exc.message, status_code=status, media_type="text/plain")
