"""Device-facing Apple MDM HTTP: `PUT /mdm/apple/checkin` and `PUT /mdm/apple/connect`.

Every request proves the device's identity (Mdm-Signature, or a client certificate forwarded by
the TLS proxy); after Authenticate the certificate is pinned to the UDID, and a message for that
UDID with another certificate is refused before anything is read or stored.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from datetime import datetime
from functools import partial
from typing import Any

from ssp_contracts.audit import SYSTEM_REQUESTER
from ssp_contracts.commands import CommandAuthorized, CommandParams
from ssp_contracts.enums import Action, CommandStatus, DeviceReportKind, ManagementMode, Platform
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from command_dispatcher.apple import results
from command_dispatcher.apple.checkin import Authenticate, CheckOut, TokenUpdate, parse_checkin
from command_dispatcher.apple.commands import COMMAND_CONTENT_TYPE, build_command
from command_dispatcher.apple.errors import AppleMdmError, IdentityError, ProtocolError
from command_dispatcher.apple.identity import DeviceIdentity, IdentitySettings, identify
from command_dispatcher.apple.inventory import to_inventory
from command_dispatcher.apple_adapter import AppleAdapter
from command_dispatcher.apple_enrollment import (
    authenticate_fields,
    mode_from_inventory,
    platform_and_mode,
    report,
)
from command_dispatcher.contact_reports import ContactReports
from command_dispatcher.handlers import CommandIntake
from command_dispatcher.lifecycle import Command, TransitionRefused, transition
from command_dispatcher.metrics import DeviceRefusals
from command_dispatcher.store import AppleDevice, AppleDeviceStore, CommandStore

log = logging.getLogger(__name__)


class AppleEndpoints:
    def __init__(self, *, commands: CommandStore, devices: AppleDeviceStore,
                 intake: CommandIntake, adapter: AppleAdapter, identity: IdentitySettings,
                 default_org: str, max_body_bytes: int, clock: Callable[[], datetime],
                 refusals: DeviceRefusals, contacts: ContactReports) -> None:
        self.commands = commands
        self.devices = devices
        self.intake = intake
        self.adapter = adapter
        self.identity = identity
        self.default_org = default_org
        self.max_body = max_body_bytes
        self.clock = clock
        self.refusals = refusals
        self.contacts = contacts

    def routes(self) -> list[Route]:
        return [Route("/mdm/apple/checkin", self.checkin, methods=["PUT", "POST"]),
                Route("/mdm/apple/connect", self.connect, methods=["PUT", "POST"])]

    async def checkin(self, request: Request) -> Response:
        try:
            body, who = await self._authenticated_body(request)
            msg = parse_checkin(body, max_bytes=self.max_body)
            known = await self.devices.get(msg.device_identifier)
            if isinstance(msg, Authenticate):
                await self._authenticate(msg, who, known, request.query_params.get("org"))
                return Response(status_code=200)
            device = _pinned(known, who)
            if isinstance(msg, TokenUpdate):
                await self._contact(device)
                await self._token_update(msg, device)
            elif isinstance(msg, CheckOut):
                await self._check_out(device)
        except AppleMdmError as exc:
            return self.refusals.answer("apple", exc, identity=isinstance(exc, IdentityError))
        return Response(status_code=200)

    async def connect(self, request: Request) -> Response:
        try:
            body, who = await self._authenticated_body(request)
            rep = results.parse_report(body, max_bytes=self.max_body)
            device = _pinned(await self.devices.get(rep.device_identifier), who)
        except AppleMdmError as exc:
            return self.refusals.answer("apple", exc, identity=isinstance(exc, IdentityError))
        await self._contact(device)
        if rep.command_uuid and results.command_status(rep) is not None:
            await self._record_answer(device, rep)
        if rep.status is results.ReportStatus.NOT_NOW:
            return Response(status_code=200)  # the device asks again when it can
        return await self._next_command(device)

    async def _contact(self, device: AppleDevice) -> None:
        """The portal's "last contact" (coalesced: not one report per poll)."""
        await self.contacts.contact(
            org_id=device.org_id, device_id=device.device_id, platform=device.platform,
            mode=device.management_mode, publish=partial(self.devices.report, device.udid))

    # -- check-in -----------------------------------------------------------------------------

    async def _authenticate(self, msg: Authenticate, who: DeviceIdentity,
                            known: AppleDevice | None, org: str | None) -> None:
        if known is not None and known.enrolled and known.fingerprint != who.fingerprint:
            raise IdentityError("identity.pinned_mismatch",
                                "the device is enrolled with another certificate")
        platform, mode = platform_and_mode(msg)
        device = AppleDevice(
            udid=msg.device_identifier, device_id=msg.device_identifier,
            org_id=known.org_id if known else (org or self.default_org),
            fingerprint=who.fingerprint, enrolled=True, platform=platform.value,
            management_mode=mode.value)
        now = self.clock()
        await self.devices.enroll(device, report(
            DeviceReportKind.ENROLLED, org_id=device.org_id, device_id=device.device_id,
            platform=platform, mode=mode, now=now, fields=authenticate_fields(msg)), now)

    async def _token_update(self, msg: TokenUpdate, device: AppleDevice) -> None:
        if msg.user_id:
            return  # the user channel: this portal manages devices only
        first = device.push_token is None
        await self.devices.update_tokens(device.udid, msg.token, msg.push_magic, msg.topic,
                                         msg.unlock_token)
        if first:
            await self._queue_inventory(device)
        refreshed = await self.devices.get(device.udid)
        if refreshed is not None and await self.commands.pending_for_device(device.device_id):
            self.adapter.wake(refreshed)

    async def _queue_inventory(self, device: AppleDevice) -> None:
        """A new device's details come from a DeviceInformation query right after enrollment."""
        now = self.clock()
        await self.intake.on_command_authorized(CommandAuthorized(
            org_id=device.org_id, command_id=f"inv-{uuid.uuid4()}", device_id=device.device_id,
            action=Action.REFRESH, requested_by=SYSTEM_REQUESTER, requested_at=now,
            platform=Platform(device.platform),
            management_mode=ManagementMode(device.management_mode), authorized_at=now), None)

    async def _check_out(self, device: AppleDevice) -> None:
        now = self.clock()
        await self.devices.report(device.udid, report(
            DeviceReportKind.UNENROLLED, org_id=device.org_id, device_id=device.device_id,
            platform=Platform(device.platform),
            mode=ManagementMode(device.management_mode), now=now), enrolled=False)
        for cmd, _ in await self.commands.pending_for_device(device.device_id):
            await self._save(cmd, CommandStatus.CANCELED, reason_code="device_unenrolled",
                             reason="The device left management.")

    # -- connect ------------------------------------------------------------------------------

    async def _record_answer(self, device: AppleDevice, rep: results.Report) -> None:
        found = await self.commands.get(rep.command_uuid or "")
        if found is None or found[0].device_id != device.device_id or not found[0].pending:
            return  # unknown, someone else's, or a duplicate answer to a finished command
        cmd = found[0]
        status = results.command_status(rep)
        assert status is not None
        result = results.to_command_result(rep, now=self.clock())
        errors = result.errors if result else []
        reason = "; ".join(e.message or e.code for e in errors) or None
        if cmd.action is Action.REFRESH and status is CommandStatus.ACKNOWLEDGED:
            await self._report_inventory(device, rep)
        if cmd.action is Action.WIPE and status is CommandStatus.ACKNOWLEDGED:
            await self.devices.report_wiped(device.udid)
        await self._save(cmd, status, result=result,
                         reason_code="device_error" if errors else None, reason=reason)

    async def _report_inventory(self, device: AppleDevice, rep: results.Report) -> None:
        responses = rep.values.get("QueryResponses") or {}
        mode = mode_from_inventory(ManagementMode(device.management_mode), responses)
        await self.devices.report(device.udid, report(
            DeviceReportKind.INVENTORY, org_id=device.org_id, device_id=device.device_id,
            platform=Platform(device.platform), mode=mode, now=self.clock(),
            fields=to_inventory(responses)), management_mode=mode.value)

    async def _next_command(self, device: AppleDevice) -> Response:
        for cmd, doc in await self.commands.pending_for_device(device.device_id):
            try:
                payload = build_command(
                    cmd.command_id, cmd.action, _params(doc), Platform(device.platform),
                    unlock_token=await self.devices.unlock_token(device.device_id)
                    if cmd.action is Action.RESET_PASSCODE else None)
            except AppleMdmError as exc:
                await self._save(cmd, CommandStatus.FAILED, reason_code=exc.code,
                                 reason=exc.message)
                continue
            # Handed out only once recorded as sent: a cancel (or anything else) that changed
            # the command meanwhile wins, and the device never sees it.
            if cmd.status is CommandStatus.QUEUED and not await self._save(
                    cmd, CommandStatus.SENT):
                continue
            return Response(payload, media_type=COMMAND_CONTENT_TYPE)
        return Response(status_code=200)

    async def _save(self, cmd: Command, status: CommandStatus, **fields: Any) -> bool:
        try:
            return await self.commands.save(cmd, transition(cmd, status, self.clock(), **fields))
        except TransitionRefused:
            log.info("ignored a late transition", extra={"status": status.value})
            return False

    async def _authenticated_body(self, request: Request) -> tuple[bytes, DeviceIdentity]:
        body = bytearray()
        async for chunk in request.stream():
            body += chunk
            if len(body) > self.max_body:
                raise ProtocolError("plist.too_large", "request body too large")
        return bytes(body), identify(request.headers, bytes(body), self.identity)


def _pinned(device: AppleDevice | None, who: DeviceIdentity) -> AppleDevice:
    if device is None or not device.enrolled or device.fingerprint != who.fingerprint:
        raise IdentityError("identity.not_pinned", "unknown device or another certificate")
    return device


def _params(doc: dict[str, Any]) -> CommandParams:
    return CommandParams.model_validate(doc.get("params") or {})
