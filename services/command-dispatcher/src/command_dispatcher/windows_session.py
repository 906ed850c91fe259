"""One device message in, one server message out: settle answers, send what is queued.

The session's memory lives on the command documents (`windows`: SessionID, MsgID, CmdIDs), so
any dispatcher instance can take the next message of a session.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

from ssp_contracts.audit import SYSTEM_REQUESTER
from ssp_contracts.commands import CommandAuthorized
from ssp_contracts.enums import Action, CommandStatus, DeviceReportKind, ManagementMode, Platform

from command_dispatcher.device_reports import report
from command_dispatcher.handlers import CommandIntake
from command_dispatcher.lifecycle import Command, TransitionRefused, transition
from command_dispatcher.store import CommandStore, WindowsDevice, WindowsDeviceStore
from command_dispatcher.windows.messages import Message
from command_dispatcher.windows.results import WindowsOutcome
from command_dispatcher.windows.session import PendingCommand, reply, settle
from command_dispatcher.windows.session_plan import (
    LOST_IN_SESSION,
    from_record,
    plan_unanswered,
    to_record,
)

log = logging.getLogger(__name__)
S = CommandStatus
UNENROLLED = ("device_unenrolled", "The device left management.")
RESENT = ("session_interrupted", "Sent again: the device's last session ended before it "
          "answered.")


class WindowsSession:
    def __init__(self, *, commands: CommandStore, devices: WindowsDeviceStore,
                 intake: CommandIntake, wipe_node: str,
                 clock: Callable[[], datetime], provider_id: str | None = None) -> None:
        self.commands = commands
        self.devices = devices
        self.intake = intake
        self.wipe_node = wipe_node
        self.provider_id = provider_id
        self.clock = clock

    async def queue_inventory(self, device: WindowsDevice) -> None:
        now = self.clock()
        await self.intake.on_command_authorized(CommandAuthorized(
            org_id=device.org_id, command_id=f"inv-{uuid.uuid4()}", device_id=device.device_id,
            action=Action.REFRESH, requested_by=SYSTEM_REQUESTER, requested_at=now,
            platform=Platform.WINDOWS, management_mode=ManagementMode.WINDOWS,
            authorized_at=now), None)

    async def converse(self, device: WindowsDevice, message: Message) -> bytes:
        """The server's answer to `message`, after its answers were recorded."""
        before = await self._pending(device)
        pending = {c.command_id: c for c, _ in before}
        sent = [(c.command_id, c.action, from_record(c.command_id, c.action, doc.get("windows")))
                for c, doc in before if c.status is S.SENT]
        plan = plan_unanswered(message, sent)
        for settled in settle(message, plan.awaiting):
            await self._settle(device, pending[settled.command_id], settled.result,
                               "device_error")
        for command_id in plan.resend:
            await self._save(pending[command_id], S.QUEUED, {"windows": None}, *RESENT)
        for command_id in plan.abandon:
            await self._save(pending[command_id], S.FAILED, {"windows": None}, *LOST_IN_SESSION)

        queued = {c.command_id: c for c, _ in await self._pending(device)
                  if c.status is S.QUEUED}
        answer = reply(message, [PendingCommand(c.command_id, c.action) for c in queued.values()],
                       wipe=self.wipe_node, provider_id=self.provider_id)
        for out in answer.sent:
            await self._save(queued[out.command_id], S.SENT, {"windows": to_record(out)})
        for refused in answer.refused:
            await self._settle(device, queued[refused.command_id], refused.result,
                               refused.result.platform_status or "unsupported")
        return answer.body

    async def unenroll(self, device: WindowsDevice, message: Message) -> bytes:
        """The device left management (Alert 1226): it is reported `unenrolled`, whatever it
        still had queued is canceled, and the answer carries Statuses only, so no command
        reaches a device that is removing its enrollment."""
        await self._left_management(device)
        return reply(message, []).body

    async def _left_management(self, device: WindowsDevice) -> None:
        await self.devices.unenroll(device.device_id, report(
            DeviceReportKind.UNENROLLED, org_id=device.org_id, device_id=device.device_id,
            platform=Platform.WINDOWS, mode=ManagementMode.WINDOWS, now=self.clock()))
        for cmd, _ in await self._pending(device):
            await self._save(cmd, S.CANCELED, {"windows": None}, *UNENROLLED)

    async def _settle(self, device: WindowsDevice, cmd: Command, outcome: WindowsOutcome,
                      failure_code: str) -> None:
        acknowledged = outcome.outcome == "acknowledged"
        if acknowledged and cmd.action is Action.REFRESH:
            await self.devices.report(device.device_id, report(
                DeviceReportKind.INVENTORY, org_id=device.org_id, device_id=device.device_id,
                platform=Platform.WINDOWS, mode=ManagementMode.WINDOWS, now=self.clock(),
                fields={**(outcome.inventory or {}), "platform_id": device.dev_id}))
        if acknowledged and cmd.action is Action.WIPE:
            await self.devices.unpin(device.device_id)
        await self._save(cmd, S.ACKNOWLEDGED if acknowledged else S.FAILED, None,
                         None if acknowledged else failure_code, outcome.reason,
                         result=outcome.to_command_result())
        if acknowledged and cmd.action is Action.RETIRE:
            # The device accepted DMClient's Unenroll: it removes its enrollment at the end of
            # this session and opens no other, so it is no longer managed from here on.
            await self._left_management(device)

    async def _pending(self, device: WindowsDevice) -> list[tuple[Command, dict[str, Any]]]:
        return await self.commands.pending_for_device(device.device_id)

    async def _save(self, cmd: Command, status: CommandStatus, extra: dict[str, Any] | None,
                    code: str | None = None, reason: str | None = None, **fields: Any) -> None:
        try:
            after = transition(cmd, status, self.clock(), reason_code=code, reason=reason,
                               **fields)
        except TransitionRefused:
            return
        if not await self.commands.save(cmd, after, extra):
            log.info("command changed meanwhile", extra={"command_id": cmd.command_id,
                                                         "status": status.value})
