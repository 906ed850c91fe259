"""One Android command's trip: issue it to Google, mark it sent, poll its operation until done.

Before a command goes to Google, this process claims it on the command's document (a lease,
renewed while it retries), so that of the processes that may try to deliver it (the one that
queued it, the resume job of a restarted one) exactly one issues it. A claim whose holder died
before it recorded Google's answer leaves the command's fate unknown: it is not issued again
(a second lock or wipe) but ends `failed` with a reason saying so.

Every path ends in a transition of the command (acknowledged, failed, expired, canceled) unless
the command changed meanwhile (canceled by a wipe, expired by the sweep). A one-time passcode
exists in clear only in memory, between generating it and handing the body to httpx; what is
stored and published is its sealed form.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any, TypeVar

from ssp_contracts.commands import CommandParams, CommandResult
from ssp_contracts.enums import Action, CommandStatus, ManagementMode
from ssp_runtime.failpoints import failpoint
from ssp_runtime.sealing import seal_secret

from command_dispatcher.android.backoff import Backoff, fits_before
from command_dispatcher.android.client import AmapiClient
from command_dispatcher.android.commands import (
    RETIRE_REASON,
    command_body,
    interpret_operation,
    retire_by_delete,
    wipe_reason,
)
from command_dispatcher.android.errors import AmapiError, AmapiTransientError, AndroidError
from command_dispatcher.android.operations import OperationOutcome, to_command_result
from command_dispatcher.android_reports import AndroidReports
from command_dispatcher.lifecycle import Command, TransitionRefused, transition
from command_dispatcher.store import CommandStore

log = logging.getLogger(__name__)
ACCEPTED_BY_GOOGLE = "accepted_by_google"  # platform_status of a wipe done by devices.delete
ACCEPTED_BY_GOOGLE_REASON = ("Google accepted the deletion; the device wipes itself the next "
                             "time it reaches Google.")
RETIRED_BY_GOOGLE_REASON = ("Google deleted the device from management; its work profile is "
                            "removed the next time it reaches Google.")
# Actions whose acknowledgement means the device left management.
_ENDS_MANAGEMENT = frozenset({Action.WIPE, Action.RETIRE})
T = TypeVar("T")
S = CommandStatus
_STATUS = {"acknowledged": S.ACKNOWLEDGED, "failed": S.FAILED, "expired": S.EXPIRED,
           "canceled": S.CANCELED}
_ISSUING = "issuing"  # {by: instance id, until: lease end} while a process issues it
CLAIM = f"android.{_ISSUING}"
UNKNOWN = ("android.delivery_unknown", "The dispatcher stopped while handing the command to "
           "Google: whether the device received it is unknown. Send it again if needed.")


class OutOfTime(Exception):
    """The command's TTL passes before Google or the device could answer."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


def _device_too_slow() -> OutOfTime:
    return OutOfTime("device_did_not_answer", "The device did not answer in time.")


def _google_unreachable() -> OutOfTime:
    return OutOfTime("amapi_unavailable", "The Android Management API could not be reached "
                     "before the command expired.")


def claim_of(doc: dict[str, Any]) -> dict[str, Any] | None:
    """The issuing claim stored on a command's document, if any."""
    claim = (doc.get("android") or {}).get(_ISSUING)
    return claim if isinstance(claim, dict) else None


class Superseded(Exception):
    """Another process took the command over (its claim) or it changed: stop quietly."""


def _without(exc: AndroidError, secret: str | None) -> AndroidError:
    """Google may quote a refused value in its message: never let it quote the passcode."""
    if secret and secret in exc.message:
        return AndroidError(exc.code, exc.message.replace(secret, "[redacted]"))
    return exc


class AndroidDelivery:
    def __init__(self, *, commands: CommandStore, reports: AndroidReports, amapi: AmapiClient,
                 backoff: Backoff, sealing_key: bytes | None, wipe_via_delete: bool,
                 clock: Callable[[], datetime], instance_id: str,
                 lease: timedelta = timedelta(minutes=2)) -> None:
        self.commands = commands
        self.reports = reports
        self.amapi = amapi
        self.backoff = backoff
        self.sealing_key = sealing_key
        self.wipe_via_delete = wipe_via_delete
        self.clock = clock
        self.instance_id = instance_id
        self.lease = lease  # longer than one AMAPI request may take (httpx's timeout)

    async def deliver(self, cmd: Command) -> None:
        """A queued command, from issuing to its outcome."""
        await self._guarded(cmd, self._deliver(cmd))

    async def resume(self, cmd: Command, operation: str, sealed: str | None) -> None:
        """A sent command whose poller died with its process: poll its operation again."""
        await self._guarded(cmd, self._follow(cmd, operation, sealed, None))

    def abandoned(self, claim: dict[str, Any], now: datetime) -> bool:
        """Whether a queued command's claim belongs to no live delivery: it is this process's
        own (the caller knows no task of ours holds it) or its lease ran out."""
        return claim.get("by") == self.instance_id or claim.get("until", now) <= now

    async def give_up(self, cmd: Command) -> None:
        """A queued command whose claimant died between claiming and recording Google's answer.
        Guarded by the version it was found at: a delivery that got further wins."""
        try:
            after = transition(cmd, S.FAILED, self.clock(), reason_code=UNKNOWN[0],
                               reason=UNKNOWN[1])
        except TransitionRefused:
            return
        if await self.commands.save(cmd, after):
            log.warning("android command failed: its delivery died mid-issue",
                        extra={"command_id": cmd.command_id})

    async def _guarded(self, cmd: Command, work: Awaitable[None]) -> None:
        try:
            await work
        except OutOfTime as exc:
            await self._finish(cmd, S.EXPIRED, exc.code, exc.reason)
        except AndroidError as exc:  # permanent AMAPI answers, unsupported, invalid parameters
            await self._finish(cmd, S.FAILED, exc.code, exc.message)
        except Superseded:
            return

    async def _deliver(self, cmd: Command) -> None:
        failpoint("android.before_issue", cmd.command_id)
        device = await self.reports.device(cmd.device_id)
        found = await self.commands.get(cmd.command_id)
        if found is None or found[0].status is not S.QUEUED:
            return  # delivered, canceled or expired meanwhile
        params = CommandParams.model_validate(found[1].get("params") or {})
        if cmd.action is Action.REFRESH:
            resource = await self._call(cmd, lambda: self.amapi.get_device(device.name))
            report = await self.reports.refreshed(device, resource)
            inventory = report.inventory.model_dump(exclude_none=True)
            await self._finish(cmd, S.ACKNOWLEDGED, result=CommandResult(inventory=inventory))
            return
        queued = found[0]
        if cmd.action is Action.WIPE and self.wipe_via_delete:
            reason = wipe_reason(params)
            await self._claim(queued)
            await self._call(cmd, lambda: self.amapi.delete_device(device.name,
                                                                   wipe_reason=reason),
                             renew=lambda delay: self._claim(queued, delay))
            # Acknowledged means Google took the delete, not that the device wiped: it does
            # when it next reaches Google. The device sync follows it until Google no longer
            # lists it, and only then reports it unenrolled.
            await self._finish(cmd, S.ACKNOWLEDGED, reason=ACCEPTED_BY_GOOGLE_REASON,
                               result=CommandResult(platform_status=ACCEPTED_BY_GOOGLE))
            return
        if cmd.action is Action.RETIRE and retire_by_delete(
                ManagementMode(device.management_mode)):
            await self._claim(queued)
            await self._call(cmd, lambda: self.amapi.delete_device(device.name,
                                                                   wipe_reason=RETIRE_REASON),
                             renew=lambda delay: self._claim(queued, delay))
            # No wipeDataFlags: on a personally owned device the delete removes the work
            # profile only. Google forgets the device at once, so it is no longer managed now.
            await self.reports.gone(cmd.device_id)
            await self._finish(cmd, S.ACKNOWLEDGED, reason=RETIRED_BY_GOOGLE_REASON,
                               result=CommandResult(platform_status=ACCEPTED_BY_GOOGLE))
            return
        built = command_body(cmd.action, params)
        assert built is not None  # only refresh has no command
        sealed = None
        if built.secret is not None:
            if self.sealing_key is None:
                raise AndroidError("config.no_gateway_key", "No gateway key to seal it to.")
            sealed = seal_secret(built.secret, self.sealing_key)
        # The command should not outlive our own expiry, or a device could run it after the
        # portal told its owner it expired.
        lifetime = max(1, int((cmd.expires_at - self.clock()).total_seconds()))
        body = {**built.body, "duration": f"{lifetime}s"}
        await self._claim(queued)
        failpoint("android.after_claim", cmd.command_id)
        try:
            operation = await self._call(cmd, lambda: self.amapi.issue_command(device.name, body),
                                         renew=lambda delay: self._claim(queued, delay))
        except AndroidError as exc:
            raise _without(exc, built.secret) from None
        name = str(operation.get("name") or "")
        sent = await self._mark_sent(cmd, name, sealed)
        if sent is None:
            await self._cancel(name)  # canceled or expired meanwhile: stop the device too
            return
        await self._follow(sent, name, sealed, operation)

    async def _follow(self, cmd: Command, name: str, sealed: str | None,
                      operation: dict[str, Any] | None) -> None:
        poll = 0
        while True:
            if operation is not None:
                outcome = interpret_operation(operation)
                if outcome.done:
                    await self._settle(cmd, outcome, sealed)
                    return
            delay = self.backoff.poll_delay(poll)
            if not fits_before(self.clock(), delay, cmd.expires_at):
                await self._cancel(name)
                raise _device_too_slow()
            await asyncio.sleep(delay)
            poll += 1
            found = await self.commands.get(cmd.command_id)
            if found is None or not found[0].pending:
                await self._cancel(name)  # e.g. superseded by a wipe
                return
            cmd = found[0]
            operation = await self._call(cmd, lambda: self.amapi.get_operation(name))

    async def _settle(self, cmd: Command, outcome: OperationOutcome, sealed: str | None) -> None:
        status = _STATUS[outcome.outcome or "failed"]
        result = to_command_result(outcome)
        if status is S.ACKNOWLEDGED and sealed is not None:
            result = result.model_copy(update={"sealed_secret": sealed})
        if status is S.ACKNOWLEDGED and cmd.action in _ENDS_MANAGEMENT:
            await self.reports.gone(cmd.device_id)
        code = f"amapi.{outcome.platform_status.lower()}" if outcome.platform_status else None
        await self._finish(cmd, status, code if status is not S.ACKNOWLEDGED else None,
                           outcome.reason, result=result)

    async def _claim(self, queued: Command, wait_s: float = 0.0) -> None:
        """Take or renew this process's lease on issuing `queued` (for `wait_s` more); raises
        Superseded when another process holds it or the command changed."""
        until = self.clock() + timedelta(seconds=wait_s) + self.lease
        if not await self.commands.claim(queued, CLAIM, self.instance_id, until):
            raise Superseded

    async def _call(self, cmd: Command, request: Callable[[], Awaitable[T]],
                    renew: Callable[[float], Awaitable[None]] | None = None) -> T:
        """`request`, retried on 429, 5xx and transport errors until the command's TTL;
        `renew` extends the claim over each wait."""
        attempt = 0
        while True:
            try:
                return await request()
            except AmapiTransientError as exc:
                delay = self.backoff.retry_delay(attempt, exc.retry_after)
                if not fits_before(self.clock(), delay, cmd.expires_at):
                    raise _google_unreachable() from exc
                log.warning("AMAPI call will be retried", extra={
                    "command_id": cmd.command_id, "code": exc.code,
                    "http_status": exc.http_status, "retry_in_s": round(delay, 2)})
                if renew is not None:
                    await renew(delay)
                await asyncio.sleep(delay)
                attempt += 1

    async def _mark_sent(self, cmd: Command, operation: str,
                         sealed: str | None) -> Command | None:
        found = await self.commands.get(cmd.command_id)
        if found is None or found[0].status is not S.QUEUED:
            return None
        before = found[0]
        after = transition(before, S.SENT, self.clock())
        android: dict[str, str] = {"operation": operation}
        if sealed is not None:
            android["sealed_secret"] = sealed  # ciphertext only: a resumed poll needs it
        return after if await self.commands.save(before, after, {"android": android}) else None

    async def _finish(self, cmd: Command, status: CommandStatus, code: str | None = None,
                      reason: str | None = None, *, result: CommandResult | None = None) -> None:
        found = await self.commands.get(cmd.command_id)
        if found is None:
            return
        try:
            after = transition(found[0], status, self.clock(), reason_code=code, reason=reason,
                               result=result)
        except TransitionRefused:
            return  # already finished elsewhere (sweep, wipe, a second instance)
        await self.commands.save(found[0], after)

    async def _cancel(self, operation: str) -> None:
        if not operation:
            return
        try:
            await self.amapi.cancel_operation(operation)
        except AmapiError as exc:  # best effort: the command's own duration ends it anyway
            log.info("could not cancel an operation", extra={"code": exc.code})
