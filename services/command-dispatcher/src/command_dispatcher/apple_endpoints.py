"""Device-facing Apple MDM HTTP: `PUT /mdm/apple/checkin` and `PUT /mdm/apple/connect`.

Every request proves the device's identity (Mdm-Signature, or a client certificate forwarded by
the TLS proxy); after Authenticate the certificate is pinned to the UDID, and a message for that
UDID with another certificate is refused before anything is read or stored. Refusals are 400,
never 401 (a 401 makes the device remove its MDM profile: see metrics.IDENTITY_STATUS).
What each message type is answered with, and why: docs/operations.md, "Device protocol
answers".
"""

from __future__ import annotations

import logging
import plistlib
import uuid
from collections.abc import Callable
from dataclasses import replace
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
from command_dispatcher.apple.checkin import (
    Authenticate,
    CheckInMessage,
    CheckOut,
    OtherCheckIn,
    TokenUpdate,
    parse_checkin,
    to_checkin_message,
)
from command_dispatcher.apple.commands import (
    COMMAND_CONTENT_TYPE,
    EraseOptions,
    build_command,
    build_device_configured,
)
from command_dispatcher.apple.errors import AppleMdmError, IdentityError, ProtocolError
from command_dispatcher.apple.identity import DeviceIdentity, IdentitySettings, identify
from command_dispatcher.apple.inventory import to_inventory
from command_dispatcher.apple.plist_body import load_plist
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


# Served first among a device's commands, in this order; the rest keep their queue order.
# Apple describes devices that answer NotNow for a long time (a Mac in Power Nap, an iPhone
# before its first unlock: the lost-device case): a wipe, lock or lost mode must not wait
# behind a refresh. Enabling and disabling lost mode share a rank, so they never swap.
_RANK = {Action.WIPE: 0, Action.LOCK: 1, Action.ENABLE_LOST_MODE: 1,
         Action.DISABLE_LOST_MODE: 1}
_LAST_RANK = 2
# DeviceConfigured is the server's own command (no portal action): its CommandUUIDs carry this
# prefix, and a NotNow defers it under this name.
DEVICE_CONFIGURED = "device-configured"
# Check-in types this server does not offer (no declarations, no bootstrap token escrow, no
# token service, no Return to Service): refused with 400, as docs/operations.md says.
_NOT_OFFERED = frozenset({"DeclarativeManagement", "SetBootstrapToken", "GetToken",
                          "ReturnToService"})


class AppleEndpoints:
    def __init__(self, *, commands: CommandStore, devices: AppleDeviceStore,
                 intake: CommandIntake, adapter: AppleAdapter, identity: IdentitySettings,
                 default_org: str, max_body_bytes: int, clock: Callable[[], datetime],
                 refusals: DeviceRefusals, contacts: ContactReports,
                 demo_mode: bool = False,
                 erase_options: dict[str, EraseOptions] | None = None,
                 ca_orgs: dict[str, str] | None = None,
                 mdm_profiles: tuple[str | None, dict[str, str]] = (None, {})) -> None:
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
        self.demo_mode = demo_mode
        self.erase_options = erase_options or {}
        # The enrollment profile's PayloadIdentifier (retire removes it): default, per org.
        self.mdm_profile, self.mdm_profiles = mdm_profiles
        self.ca_orgs = {k.lower().replace(":", ""): v for k, v in (ca_orgs or {}).items()}

    def routes(self) -> list[Route]:
        return [Route("/mdm/apple/checkin", self.checkin, methods=["PUT", "POST"]),
                Route("/mdm/apple/connect", self.connect, methods=["PUT", "POST"])]

    async def checkin(self, request: Request) -> Response:
        try:
            body, who = await self._authenticated_body(request)
            return await self._checkin(parse_checkin(body, max_bytes=self.max_body), who,
                                       request.query_params.get("org"))
        except AppleMdmError as exc:
            return self.refusals.answer("apple", exc, identity=isinstance(exc, IdentityError))

    async def connect(self, request: Request) -> Response:
        try:
            body, who = await self._authenticated_body(request)
            values = load_plist(body, max_bytes=self.max_body)
            if "MessageType" in values:
                # The MDM payload's CheckInURL is optional: without it the device sends its
                # check-in messages to the ServerURL, told apart by MessageType.
                return await self._checkin(to_checkin_message(values), who,
                                           request.query_params.get("org"))
            rep = results.to_report(values)
            device = _pinned(await self.devices.get(rep.device_identifier), who)
        except AppleMdmError as exc:
            return self.refusals.answer("apple", exc, identity=isinstance(exc, IdentityError))
        await self._contact(device)
        if rep.channel_user is not None:
            # The user channel: no portal action runs there (device actions belong to the
            # device channel), so its queue is always empty, and its answers are never taken
            # for the device's.
            return Response(status_code=200)
        if rep.status is results.ReportStatus.IDLE:
            if device.not_now:
                await self.devices.start_session(device.udid)
                device = replace(device, not_now=frozenset())
        elif (rep.command_uuid or "").startswith(DEVICE_CONFIGURED):
            device = await self._configured_answer(device, rep)
        elif rep.command_uuid and results.command_status(rep) is not None:
            await self._record_answer(device, rep)
        if rep.status is results.ReportStatus.NOT_NOW and rep.command_uuid \
                and not rep.command_uuid.startswith(DEVICE_CONFIGURED):
            # Offer the next command now, not this one again: the device keeps it for later
            # and, until its next Idle, may still take a wipe or a lock queued behind it.
            await self.devices.defer(device.udid, rep.command_uuid)
            device = replace(device, not_now=device.not_now | {rep.command_uuid})
        return await self._next_command(device)

    async def _contact(self, device: AppleDevice) -> None:
        """The portal's "last contact" (coalesced: not one report per poll)."""
        await self.contacts.contact(
            org_id=device.org_id, device_id=device.device_id, platform=device.platform,
            mode=device.management_mode, publish=partial(self.devices.report, device.udid))

    # -- check-in -----------------------------------------------------------------------------

    async def _checkin(self, msg: CheckInMessage, who: DeviceIdentity,
                       org: str | None) -> Response:
        if isinstance(msg, OtherCheckIn) and msg.message_type == "UserAuthenticate":
            # Apple's userauthenticate.yaml: "If the server isn't going to manage the user, it
            # returns a 410 status code to the initial UserAuthenticate request."
            return Response(status_code=410)
        known = await self.devices.get(msg.device_identifier)
        if isinstance(msg, Authenticate):
            await self._authenticate(msg, who, known, org)
            return Response(status_code=200)
        if isinstance(msg, CheckOut) and known is not None and not known.enrolled \
                and known.fingerprint == who.fingerprint:
            # The CheckOut that follows a retire (RemoveProfile): the device already counts
            # as gone, and an answer other than 200 would only make it retry.
            return Response(status_code=200)
        device = _pinned(known, who)
        if isinstance(msg, TokenUpdate):
            await self._contact(device)
            await self._token_update(msg, device)
        elif isinstance(msg, CheckOut):
            if msg.channel_user is None:
                await self._check_out(device)
        elif msg.message_type == "GetBootstrapToken":
            # getbootstraptoken.yaml: "If a bootstrap token isn't available, the server returns
            # a success response with ... [the key omitted]"; this server escrows none.
            return Response(plistlib.dumps({}), media_type=COMMAND_CONTENT_TYPE)
        elif msg.message_type in _NOT_OFFERED:
            raise ProtocolError("checkin.not_offered",
                                f"{msg.message_type} is not offered by this server")
        return Response(status_code=200)

    async def _authenticate(self, msg: Authenticate, who: DeviceIdentity,
                            known: AppleDevice | None, org: str | None) -> None:
        # Outside demo mode an identity must chain to the enrollment CA (identify() checked
        # it); demo mode, whose simulated devices sign with self-made certificates, trusts all.
        if not self.identity.ca_certificates and not self.demo_mode:
            raise IdentityError("identity.no_enrollment_ca",
                                "no enrollment CA is configured (SSP_IDENTITY_CA_FILE)")
        new_identity = known is not None and known.fingerprint != who.fingerprint
        platform, mode = platform_and_mode(msg)
        device = AppleDevice(
            udid=msg.device_identifier, device_id=msg.device_identifier,
            org_id=known.org_id if known else self._org(who, org),
            fingerprint=who.fingerprint, enrolled=True, platform=platform.value,
            management_mode=mode.value)
        now = self.clock()
        # A new identity for a known UDID is a re-enrollment (Apple devices get a new identity
        # after an erase or a new profile), accepted as nanomdm does; the registry keeps the
        # owner only for a trusted identity with the same serial number.
        await self.devices.enroll(device, report(
            DeviceReportKind.ENROLLED, org_id=device.org_id, device_id=device.device_id,
            platform=platform, mode=mode, now=now, fields=authenticate_fields(msg),
            identity_changed=new_identity, identity_trusted=True), now,
            new_identity=new_identity)

    def _org(self, who: DeviceIdentity, asked: str | None) -> str:
        """The org comes from the enrollment configuration (the CA that issued the identity),
        never from the request; `?org=` counts only in demo mode."""
        if asked and self.demo_mode:
            return asked
        return self.ca_orgs.get(who.issuer or "", self.default_org)

    async def _token_update(self, msg: TokenUpdate, device: AppleDevice) -> None:
        user = msg.channel_user
        if user is not None:
            # A user channel's push credentials are its own: the device channel's PushMagic
            # and Token stay as they are, or the device could never be woken again.
            await self.devices.update_user_tokens(device.udid, user, msg.token, msg.push_magic,
                                                  msg.topic)
            return
        first = device.push_token is None
        await self.devices.update_tokens(device.udid, msg.token, msg.push_magic, msg.topic,
                                         msg.unlock_token)
        if msg.awaiting_configuration != device.awaiting_configuration:
            await self.devices.set_awaiting_configuration(device.udid,
                                                          msg.awaiting_configuration)
        if first:
            await self._queue_inventory(device)
        refreshed = await self.devices.get(device.udid)
        if refreshed is not None and (refreshed.awaiting_configuration or
                                      await self.commands.pending_for_device(device.device_id)):
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
        result = results.to_command_result(rep, now=self.clock(),
                                           macos=device.platform == Platform.MACOS.value)
        errors = result.errors if result else []
        reason = "; ".join(e.message or e.code for e in errors) or None
        if cmd.action is Action.REFRESH and status is CommandStatus.ACKNOWLEDGED:
            await self._report_inventory(device, rep)
        if cmd.action is Action.WIPE and status is CommandStatus.ACKNOWLEDGED:
            await self.devices.report_wiped(device.udid)
        await self._save(cmd, status, result=result,
                         reason_code="device_error" if errors else None, reason=reason)
        if cmd.action is Action.RETIRE and status is CommandStatus.ACKNOWLEDGED:
            # The enrollment profile is gone with this answer: the device will not connect
            # again (its CheckOut, if the profile asks for one, may follow or not), so it is
            # reported unenrolled now and its push token, dead with the profile, dropped.
            await self._check_out(device)
            await self.devices.drop_push_token(device.udid)

    async def _report_inventory(self, device: AppleDevice, rep: results.Report) -> None:
        responses = rep.values.get("QueryResponses") or {}
        mode = mode_from_inventory(ManagementMode(device.management_mode), responses)
        await self.devices.report(device.udid, report(
            DeviceReportKind.INVENTORY, org_id=device.org_id, device_id=device.device_id,
            platform=Platform(device.platform), mode=mode, now=self.clock(),
            fields=to_inventory(responses, macos=device.platform == Platform.MACOS.value)),
            management_mode=mode.value)

    async def _configured_answer(self, device: AppleDevice, rep: results.Report) -> AppleDevice:
        if rep.status is results.ReportStatus.NOT_NOW:
            await self.devices.defer(device.udid, DEVICE_CONFIGURED)
            return replace(device, not_now=device.not_now | {DEVICE_CONFIGURED})
        # Acknowledged, or an error (the device is not waiting after all): asked once.
        await self.devices.set_awaiting_configuration(device.udid, False)
        return replace(device, awaiting_configuration=False)

    async def _next_command(self, device: AppleDevice) -> Response:
        if device.awaiting_configuration and DEVICE_CONFIGURED not in device.not_now:
            # Nothing to configure in Setup Assistant: let the user go on first.
            return Response(build_device_configured(f"{DEVICE_CONFIGURED}-{uuid.uuid4()}"),
                            media_type=COMMAND_CONTENT_TYPE)
        pending = await self.commands.pending_for_device(device.device_id)
        pending.sort(key=lambda item: _RANK.get(item[0].action, _LAST_RANK))  # stable
        for cmd, doc in pending:
            if cmd.command_id in device.not_now:
                continue
            try:
                payload = build_command(
                    cmd.command_id, cmd.action, _params(doc), Platform(device.platform),
                    unlock_token=await self.devices.unlock_token(device.device_id)
                    if cmd.action is Action.RESET_PASSCODE else None,
                    erase=self.erase_options.get(device.org_id),
                    mdm_profile=self.mdm_profiles.get(device.org_id, self.mdm_profile))
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
