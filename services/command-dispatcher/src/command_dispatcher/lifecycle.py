"""The command lifecycle, the same for every platform (pure: no I/O).

    authorized -> queued -> sent -> acknowledged | failed | expired
                     \\________\\__-> canceled

A requester's cancel (`CommandCancelRequested`) succeeds only while the command is `queued`
(or not yet known here: it overtook its own command); once `sent` it is refused.

Versions continue the command's sequence across services: the gateway's `requested` is 1, the
authorizer's decision 2, and every transition here adds one, so consumers can order them.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from ssp_contracts.capabilities import CANCELABLE_FAMILIES, FAMILY_OF_PLATFORM
from ssp_contracts.commands import (
    FIRST_DISPATCH_VERSION,
    CommandAuthorized,
    CommandCancelRequested,
    CommandResult,
    CommandStatusChanged,
)
from ssp_contracts.enums import Action, CommandStatus, Platform

S = CommandStatus

# How long a device may take before a command counts as expired (configurable per action).
DEFAULT_TTL: dict[Action, timedelta] = {
    Action.LOCK: timedelta(minutes=15),
    Action.ENABLE_LOST_MODE: timedelta(minutes=15),
    Action.DISABLE_LOST_MODE: timedelta(minutes=15),
    Action.LOCATE: timedelta(minutes=15),
    Action.RESET_PASSCODE: timedelta(minutes=15),
    Action.REFRESH: timedelta(minutes=15),
    Action.WIPE: timedelta(hours=24),
    Action.RETIRE: timedelta(hours=24),  # like a wipe, it waits for a device that is away
}

PENDING = frozenset({S.QUEUED, S.SENT})
_ALLOWED: dict[CommandStatus, frozenset[CommandStatus]] = {
    S.QUEUED: frozenset({S.SENT, S.FAILED, S.EXPIRED, S.CANCELED, S.ACKNOWLEDGED}),
    # NotNow puts a sent command back in the queue; a device may answer without a prior "sent"
    # when the send was not recorded before a crash.
    S.SENT: frozenset({S.QUEUED, S.SENT, S.ACKNOWLEDGED, S.FAILED, S.EXPIRED, S.CANCELED}),
}


CANCELED_BY_REQUESTER = "canceled_by_requester"


class TransitionRefused(Exception):
    """The command is already past that point (e.g. a duplicate device answer)."""


class CancelRefused(Exception):
    """A cancel that comes too late or from someone else; `notice` is the command restated
    with the refusal as its reason (published so the requester learns why), or None when
    nothing is published (the command already ended, or the canceller is not its requester)."""

    def __init__(self, code: str, reason: str, notice: Command | None = None) -> None:
        super().__init__(f"{code}: {reason}")
        self.code, self.reason, self.notice = code, reason, notice


@dataclass(frozen=True)
class Command:
    command_id: str
    org_id: str
    device_id: str
    action: Action
    requested_by: str
    status: CommandStatus
    version: int
    created_at: datetime
    expires_at: datetime
    reason_code: str | None = None
    reason: str | None = None
    result: CommandResult | None = None
    attempts: int = 0
    history: tuple[tuple[str, datetime], ...] = field(default_factory=tuple)
    platform: str | None = None  # for metrics; stored beside the command, not in its events
    traceparent: str | None = None  # the trace it arrived in, for the device's later answer

    @property
    def pending(self) -> bool:
        return self.status in PENDING


def accept(request: CommandAuthorized, now: datetime,
           ttl: dict[Action, timedelta] | None = None) -> Command:
    """A newly authorized command enters the device's queue."""
    lifetime = (ttl or DEFAULT_TTL).get(request.action, timedelta(minutes=15))
    return Command(
        command_id=request.command_id, org_id=request.org_id, device_id=request.device_id,
        action=request.action, requested_by=request.requested_by, status=S.QUEUED,
        version=FIRST_DISPATCH_VERSION, created_at=now, expires_at=now + lifetime,
        history=((S.QUEUED.value, now),), platform=request.platform.value,
    )


def transition(cmd: Command, status: CommandStatus, now: datetime, *,
               reason_code: str | None = None, reason: str | None = None,
               result: CommandResult | None = None) -> Command:
    if status not in _ALLOWED.get(cmd.status, frozenset()):
        raise TransitionRefused(f"{cmd.command_id}: {cmd.status} -> {status} not allowed")
    return replace(
        cmd, status=status, version=cmd.version + 1, reason_code=reason_code, reason=reason,
        result=result if result is not None else cmd.result,
        attempts=cmd.attempts + (1 if status is S.SENT else 0),
        history=(*cmd.history, (status.value, now)),
    )


def cancel(cmd: Command, requested_by: str, now: datetime) -> Command:
    """The requester's cancel: `queued` becomes `canceled`; anything later is refused."""
    if requested_by != cmd.requested_by:
        raise CancelRefused("cancel_refused.not_requester",
                            "Only the user who requested a command can cancel it.")
    if cmd.platform is not None and \
            FAMILY_OF_PLATFORM[Platform(cmd.platform)] not in CANCELABLE_FAMILIES:
        raise CancelRefused("cancel_refused.platform",
                            "Commands for this platform are handed on at once and cannot be "
                            "canceled.", notice=_restated(cmd, "cancel_refused.platform",
                            "Not canceled: commands for this platform are handed on at once.",
                            now))
    if cmd.status is S.QUEUED:
        return transition(cmd, S.CANCELED, now, reason_code=CANCELED_BY_REQUESTER,
                          reason="Canceled by the requester before it was sent to the device.")
    if cmd.status is S.SENT:
        raise CancelRefused("cancel_refused.sent", "The command was already sent to the device.",
                            notice=_restated(cmd, "cancel_refused.sent",
                            "Not canceled: the command was already sent to the device.", now))
    raise CancelRefused("cancel_refused.final", f"The command already ended as {cmd.status}.")


def cancel_before_queue(request: CommandCancelRequested, now: datetime) -> CommandStatusChanged:
    """A cancel that overtook its command (the authorizer had not decided yet): the command
    ends `canceled` here, and when it arrives it finds itself already decided."""
    return CommandStatusChanged(
        org_id=request.org_id, command_id=request.command_id, device_id=request.device_id,
        action=request.action, status=S.CANCELED, version=FIRST_DISPATCH_VERSION,
        requested_by=request.requested_by, reason_code=CANCELED_BY_REQUESTER,
        reason="Canceled by the requester before it was queued.", occurred_at=now)


def _restated(cmd: Command, code: str, reason: str, now: datetime) -> Command:
    """Same status, next version, the refusal as its reason (a later transition clears it)."""
    return replace(cmd, version=cmd.version + 1, reason_code=code, reason=reason,
                   history=(*cmd.history, (cmd.status.value, now)))


def is_overdue(cmd: Command, now: datetime) -> bool:
    return cmd.pending and now >= cmd.expires_at


def to_status_event(cmd: Command, now: datetime) -> CommandStatusChanged:
    return CommandStatusChanged(
        org_id=cmd.org_id, command_id=cmd.command_id, device_id=cmd.device_id,
        action=cmd.action, status=cmd.status, version=cmd.version,
        requested_by=cmd.requested_by, reason_code=cmd.reason_code, reason=cmd.reason,
        result=cmd.result, occurred_at=now,
    )


def refusal(request: CommandAuthorized, status: CommandStatus, now: datetime, code: str,
            reason: str) -> CommandStatusChanged:
    """A terminal answer for a command that never entered the queue."""
    return CommandStatusChanged(
        org_id=request.org_id, command_id=request.command_id, device_id=request.device_id,
        action=request.action, status=status, version=FIRST_DISPATCH_VERSION,
        requested_by=request.requested_by, reason_code=code, reason=reason, occurred_at=now,
    )
