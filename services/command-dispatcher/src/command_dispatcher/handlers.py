"""Topics in, lifecycle decisions, store writes (status events leave through the outbox)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta

from ssp_contracts.capabilities import FAMILY_OF_PLATFORM
from ssp_contracts.commands import CommandAuthorized, CommandCancelRequested
from ssp_contracts.enums import Action, CommandStatus, PlatformFamily
from ssp_runtime.clock import utc_now
from ssp_runtime.consuming import Delivery

from command_dispatcher.adapters import PlatformAdapter, Refusal
from command_dispatcher.authorizations import AuthorizationCheck
from command_dispatcher.lifecycle import (
    DEFAULT_TTL,
    CancelRefused,
    Command,
    TransitionRefused,
    accept,
    cancel,
    cancel_before_queue,
    is_overdue,
    refusal,
    to_status_event,
    transition,
)
from command_dispatcher.store import CommandStore

log = logging.getLogger(__name__)
Clock = Callable[[], datetime]



class CommandIntake:
    def __init__(self, store: CommandStore, adapters: Mapping[PlatformFamily, PlatformAdapter],
                 authorizations: AuthorizationCheck, ttl: Mapping[Action, timedelta] | None = None,
                 clock: Clock = utc_now) -> None:
        self.store = store
        self.adapters = adapters
        self.authorizations = authorizations
        self.ttl = dict(ttl or DEFAULT_TTL)
        self.clock = clock

    async def on_command_topic(self, event: CommandAuthorized | CommandCancelRequested,
                               delivery: Delivery) -> None:
        """Authorized commands (only signed ones) and their cancels, in order per device."""
        if isinstance(event, CommandCancelRequested):
            await self.on_cancel_requested(event)
        else:
            self.authorizations.require_signed(event, delivery)
            await self.on_command_authorized(event, delivery)

    async def on_cancel_requested(self, request: CommandCancelRequested) -> None:
        """Cancels a command not yet sent; a refusal is restated as the command's status."""
        for _ in range(5):  # a lost race re-reads: the device may just have fetched it
            found = await self.store.get(request.command_id)
            now = self.clock()
            if found is None:
                await self.store.record_refusal(request.command_id,
                                                cancel_before_queue(request, now))
                return
            cmd, _doc = found
            if cmd.device_id != request.device_id:
                log.warning("cancel names another device; ignored", extra={
                    "command_id": cmd.command_id, "device_id": request.device_id})
                return
            try:
                after = cancel(cmd, request.requested_by, now)
            except CancelRefused as refused:
                log.info("cancel refused", extra={"command_id": cmd.command_id,
                                                  "reason_code": refused.code})
                if refused.notice is None or await self.store.save(cmd, refused.notice):
                    return
                continue
            if await self.store.save(cmd, after):
                return
        log.warning("cancel gave up: the command kept changing",
                    extra={"command_id": request.command_id})

    async def on_command_authorized(self, request: CommandAuthorized,
                                    _d: Delivery | None = None) -> None:
        """Stores an authorized command once, queues it for its device and wakes the device."""
        if await self.store.get(request.command_id) is not None:
            return  # redelivery: already decided
        now = self.clock()
        adapter = self.adapters[FAMILY_OF_PLATFORM[request.platform]]
        pending = await self.store.pending_for_device(request.device_id)
        same = next((c for c, _ in pending if c.action is request.action), None)
        if same is not None:
            await self.store.record_refusal(request.command_id, refusal(
                request, CommandStatus.CANCELED, now, "duplicate_pending",
                f"The same action is already pending as command {same.command_id}."),
                platform=request.platform)
            return
        try:
            await adapter.check(request)
        except Refusal as exc:
            await self.store.record_refusal(request.command_id, refusal(
                request, CommandStatus.FAILED, now, exc.code, exc.reason),
                platform=request.platform)
            return
        cmd = accept(request, now, self.ttl)
        if not await self.store.insert(cmd, request.params, request.platform,
                                       request.management_mode, [to_status_event(cmd, now)]):
            return
        if request.action is Action.WIPE:
            for other, _ in pending:
                await self._finish(other, CommandStatus.CANCELED, "superseded_by_wipe",
                                   "Canceled because the device is being wiped.")
        await adapter.on_queued(cmd)

    async def expire_overdue(self) -> int:
        """Commands a device never answered end as `expired`, never in silence."""
        now = self.clock()
        expired = 0
        for cmd in await self.store.overdue(now):
            if is_overdue(cmd, now) and await self._finish(
                cmd, CommandStatus.EXPIRED, "device_did_not_answer",
                "The device did not answer in time."):
                expired += 1
        return expired

    async def _finish(self, cmd: Command, status: CommandStatus, code: str, reason: str) -> bool:
        try:
            after = transition(cmd, status, self.clock(), reason_code=code, reason=reason)
        except TransitionRefused:
            return False
        return await self.store.save(cmd, after)
