"""Device-facing Windows MDM HTTP: `POST /mdm/windows/omadm` (OMA-DM, SyncML 1.2).

Identity is the client certificate a trusted TLS proxy forwards (windows/identity.py: from
another peer the header is ignored; the certificate must come from the device CA and name the
DeviceID). A device becomes known at its first session, which pins that certificate (full
MS-MDE2 enrollment is not implemented); a later message with another certificate is refused
before anything is stored. The org is the configured default; `?org=` counts in demo mode
only. There is no WNS push yet: queued commands wait for the device's next scheduled session.
A device that unenrolls (Alert 1226 `com.microsoft:mdm.unenrollment.userrequest`) is reported
`unenrolled` and its queue canceled.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import partial

from ssp_contracts.enums import DeviceReportKind, ManagementMode, Platform
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from command_dispatcher.contact_reports import ContactReports
from command_dispatcher.device_reports import report
from command_dispatcher.metrics import DeviceRefusals
from command_dispatcher.store import WindowsDevice, WindowsDeviceStore
from command_dispatcher.windows.errors import IdentityError, ProtocolError, WindowsMdmError
from command_dispatcher.windows.identity import (
    ClientCertificate,
    WindowsTrust,
    check_bound_to,
    client_certificate,
)
from command_dispatcher.windows.messages import Message
from command_dispatcher.windows.session_plan import opens_session, windows_device_id
from command_dispatcher.windows.syncml import CONTENT_TYPE, parse_message
from command_dispatcher.windows_session import WindowsSession


class WindowsEndpoints:
    def __init__(self, *, devices: WindowsDeviceStore, session: WindowsSession,
                 cert_header: str, trust: WindowsTrust, org_from_query: bool,
                 default_org: str,
                 max_body_bytes: int, clock: Callable[[], datetime],
                 refusals: DeviceRefusals, contacts: ContactReports) -> None:
        self.devices = devices
        self.session = session
        self.cert_header = cert_header
        self.trust = trust
        self.org_from_query = org_from_query
        self.default_org = default_org
        self.max_body = max_body_bytes
        self.clock = clock
        self.refusals = refusals
        self.contacts = contacts

    def routes(self) -> list[Route]:
        return [Route("/mdm/windows/omadm", self.omadm, methods=["POST"])]

    async def omadm(self, request: Request) -> Response:
        try:
            body = await self._body(request)
            client = client_certificate(request.headers.get(self.cert_header),
                                        request.client.host if request.client else None,
                                        self.trust)
            message = parse_message(body, max_bytes=self.max_body)
            org = request.query_params.get("org") if self.org_from_query else None
            device = await self._identify(message, client, org)
        except WindowsMdmError as exc:
            return self.refusals.answer("windows", exc, identity=isinstance(exc, IdentityError))
        if message.unenrolls:
            return Response(await self.session.unenroll(device, message), media_type=CONTENT_TYPE)
        await self.contacts.contact(  # the portal's "last contact" (coalesced)
            org_id=device.org_id, device_id=device.device_id, platform=Platform.WINDOWS,
            mode=ManagementMode.WINDOWS, publish=partial(self.devices.report, device.device_id))
        answer = await self.session.converse(device, message)
        return Response(answer, media_type=CONTENT_TYPE)

    async def _identify(self, message: Message, client: ClientCertificate,
                        org: str | None) -> WindowsDevice:
        dev_id = message.header.source
        device_id = windows_device_id(dev_id)
        check_bound_to(client, dev_id, self.trust)
        fingerprint = client.fingerprint
        known = await self.devices.get(device_id)
        if known is not None and known.enrolled:
            if known.fingerprint != fingerprint:
                raise IdentityError("identity.pinned_mismatch",
                                    "the device is known with another certificate")
            return known
        if message.unenrolls:  # never enroll a device from its goodbye
            raise IdentityError("identity.unknown_device", "unknown device: nothing to unenroll")
        if not opens_session(message):
            raise IdentityError("identity.unknown_device", "unknown device: open a session first")
        info = message.dev_info
        if info.get("DevId", dev_id) != dev_id:
            raise ProtocolError("syncml.device_id", "DevInfo/DevId differs from the Source")
        device = WindowsDevice(device_id=device_id, dev_id=dev_id,
                               org_id=known.org_id if known else (org or self.default_org),
                               fingerprint=fingerprint, enrolled=True)
        now = self.clock()
        maker, model = info.get("Man"), info.get("Mod")
        await self.devices.enroll(device, report(
            DeviceReportKind.ENROLLED, org_id=device.org_id, device_id=device_id,
            platform=Platform.WINDOWS, mode=ManagementMode.WINDOWS, now=now,
            fields={"platform_id": dev_id, "model": model or maker,
                    "name": " ".join(filter(None, (maker, model))) or None}), now)
        # The details the portal shows (serial, OS, battery) come with the first session.
        await self.session.queue_inventory(device)
        return device

    async def _body(self, request: Request) -> bytes:
        body = bytearray()
        async for chunk in request.stream():
            body += chunk
            if len(body) > self.max_body:
                raise ProtocolError("syncml.too_large", "request body too large")
        return bytes(body)
