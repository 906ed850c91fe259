"""The Android family's side of the lifecycle: refuse what AMAPI cannot do, deliver the rest.

Each queued command gets a background task (issue, then poll its operation). The tasks die with
the process, or with a database outage under them; a periodic job picks up every pending command
no task of this process follows, so a restart loses no command: a `sent` one is polled again by
its stored operation name; a `queued` one nobody claimed is issued (its task died before Google
heard of it, or the redelivered request found it stored and did nothing); a `queued` one whose
claimant died mid-issue may have reached Google already, so it is not issued twice but fails
with a reason that says so (android_delivery.py).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

from ssp_contracts.capabilities import capability
from ssp_contracts.commands import CommandAuthorized
from ssp_contracts.enums import Action, CommandStatus, ManagementMode, Platform, PlatformFamily

from command_dispatcher.adapters import Refusal
from command_dispatcher.android.client import AmapiClient
from command_dispatcher.android.commands import retire_by_delete
from command_dispatcher.android.errors import Unsupported
from command_dispatcher.android_delivery import AndroidDelivery, claim_of
from command_dispatcher.android_reports import AndroidReports
from command_dispatcher.lifecycle import Command
from command_dispatcher.store import CommandStore

log = logging.getLogger(__name__)


class AndroidAdapter:
    family = PlatformFamily.ANDROID

    def __init__(self, *, commands: CommandStore, reports: AndroidReports,
                 amapi: AmapiClient | None, delivery: AndroidDelivery | None,
                 can_seal: bool) -> None:
        self.commands = commands
        self.reports = reports
        self.amapi = amapi
        self.delivery = delivery  # None: no AMAPI configured, every command is refused
        self.can_seal = can_seal
        self._tasks: dict[str, asyncio.Task[None]] = {}

    async def check(self, request: CommandAuthorized) -> None:
        if self.delivery is None:
            raise Refusal("android.not_configured",
                          "This dispatcher has no Android Management API access configured.")
        if request.action is Action.LOCATE:  # no AMAPI command exists, whatever the mode
            refused = capability(Action.LOCATE, ManagementMode.ANDROID_FULLY_MANAGED)
            raise Refusal(refused.code or "unsupported", refused.reason or "not supported")
        if request.action is Action.RESET_PASSCODE and not self.can_seal:
            raise Refusal("config.no_gateway_key", "A new passcode cannot reach its owner "
                          "safely: no gateway key is configured to seal it to.")
        try:
            device = await self.reports.device(request.device_id)
            if request.action is Action.RETIRE:  # never a delete that would factory-reset it
                retire_by_delete(ManagementMode(device.management_mode))
        except Unsupported as exc:
            raise Refusal(exc.code, exc.message) from exc

    async def on_queued(self, cmd: Command) -> None:
        assert self.delivery is not None  # check() refused everything otherwise
        self._spawn(cmd.command_id, self.delivery.deliver(cmd))

    async def resume(self) -> int:
        """Take up the pending commands no task of this process follows (after a restart, or a
        task that died): poll the sent, issue the unclaimed queued, give up the abandoned."""
        if self.delivery is None:
            return 0
        delivery = self.delivery
        now = delivery.clock()
        counts = {"polled": 0, "issued": 0, "given_up": 0}
        # A task that ends while the query runs leaves a stale snapshot of its command behind;
        # skip those too (a real orphan is taken up next round; every take-up re-reads anyway).
        followed = set(self._tasks)
        for cmd, doc in await self.commands.pending_of(Platform.ANDROID):
            if cmd.command_id in followed or cmd.command_id in self._tasks:
                continue
            android = doc.get("android") or {}
            if cmd.status is CommandStatus.SENT:
                if "operation" in android:
                    self._spawn(cmd.command_id, delivery.resume(
                        cmd, str(android["operation"]), android.get("sealed_secret")))
                    counts["polled"] += 1
            elif (claim := claim_of(doc)) is None:
                self._spawn(cmd.command_id, delivery.deliver(cmd))
                counts["issued"] += 1
            elif delivery.abandoned(claim, now):
                self._spawn(cmd.command_id, delivery.give_up(cmd))
                counts["given_up"] += 1
        if counts["polled"]:
            log.info("resumed polling android commands", extra={"count": counts["polled"]})
        if counts["issued"] or counts["given_up"]:
            log.info("took up queued android commands no task followed", extra=counts)
        return sum(counts.values())

    def _spawn(self, command_id: str, work: Coroutine[Any, Any, None]) -> None:
        if command_id in self._tasks:  # the resume job got there first: one task per command
            work.close()
            return
        task = asyncio.create_task(work, name=f"android:{command_id}")
        self._tasks[command_id] = task
        task.add_done_callback(lambda t: self._done(command_id, t))

    def _done(self, command_id: str, task: asyncio.Task[None]) -> None:
        self._tasks.pop(command_id, None)
        if not task.cancelled() and task.exception() is not None:
            # The database or a bug, not Google: the resume job or the sweep picks it up.
            log.error("android delivery crashed", exc_info=task.exception(),
                      extra={"command_id": command_id})

    async def close(self) -> None:
        for task in list(self._tasks.values()):
            task.cancel()
        await asyncio.gather(*self._tasks.values(), return_exceptions=True)
        if self.amapi is not None:
            await self.amapi.aclose()
