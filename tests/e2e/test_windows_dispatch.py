"""Windows devices, end to end: simulated laptops run OMA-DM sessions over real HTTP against a
dispatcher process; commands published on the real broker go out in their next session."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest
from cryptography.fernet import Fernet
from ssp_contracts import Action, ManagementMode, Platform
from ssp_contracts.topics import COMMANDS_STATUS, COMMANDS_WINDOWS, DEVICES_REPORTS
from ssp_simulators.windows import SessionError, run_session, unenroll
from ssp_simulators.windows.certificate import DeviceCA, DeviceCertificate

from tests.conftest import database_name
from tests.support.apple import authorized
from tests.support.kafka import Producer, Tail, json_of
from tests.support.secrets import assert_nowhere_in_clear
from tests.support.windows import (
    open_and_abandon_session,
    opening_message,
    post_syncml,
    start_fleet_and_dispatcher,
    windows_id,
)


def _status(command_id: str, status: str):
    return lambda r: json_of(r)["command_id"] == command_id and json_of(r)["status"] == status


def _report(device_id: str, kind: str):
    return lambda r: json_of(r)["device_id"] == device_id and json_of(r)["kind"] == kind


def _command(device, action: Action):
    return authorized(windows_id(device), action, platform=Platform.WINDOWS,
                      mode=ManagementMode.WINDOWS)


async def _device_record(db, laptop) -> dict:
    """The stored device without the outbox relay's own bookkeeping."""
    doc = await db["windows_devices"].find_one({"_id": windows_id(laptop)})
    return {k: v for k, v in doc.items() if not k.startswith("_outbox")}


async def _enrolled_laptop(services, client: httpx.AsyncClient, reports: Tail):
    """A dispatcher and one laptop whose first session (enrollment and inventory) is done."""
    fleet, _ = start_fleet_and_dispatcher(services)
    [laptop] = fleet.devices
    assert await run_session(laptop, client, fleet.url)
    await reports.wait_for(_report(windows_id(laptop), "inventory"))
    return fleet, laptop


async def _publish_and_wait_queued(producer: Producer, status: Tail, *commands) -> None:
    for cmd in commands:
        await producer.send_event(COMMANDS_WINDOWS, cmd)
    for cmd in commands:
        await status.wait_for(_status(cmd.command_id, "queued"), 30)


async def test_first_session_enrolls_and_every_action_is_acknowledged(services, bootstrap,
                                                                      mongo, run_id):
    async with Producer(bootstrap) as producer, Tail(bootstrap, COMMANDS_STATUS) as status, \
            Tail(bootstrap, DEVICES_REPORTS) as reports, httpx.AsyncClient() as client:
        fleet, dispatcher = start_fleet_and_dispatcher(services)
        [laptop] = fleet.devices
        assert await run_session(laptop, client, fleet.url)
        [enrolled] = await reports.wait_for(_report(windows_id(laptop), "enrolled"))
        body = json_of(enrolled)
        assert body["identifiers"]["platform_id"] == laptop.device_id
        assert body["inventory"]["model"] == laptop.model
        assert body["inventory"]["name"] == f"{laptop.manufacturer} {laptop.model}"
        # The first session also answered the inventory queries queued at enrollment.
        [inventory] = await reports.wait_for(_report(windows_id(laptop), "inventory"))
        assert json_of(inventory)["identifiers"]["serial_number"] == laptop.serial_number

        locate, refresh = (_command(laptop, a) for a in (Action.LOCATE, Action.REFRESH))
        lock, reset = _command(laptop, Action.LOCK), _command(laptop, Action.RESET_PASSCODE)
        await _publish_and_wait_queued(producer, status, locate, refresh)
        for refused_here in (lock, reset):
            await producer.send_event(COMMANDS_WINDOWS, refused_here)
        assert await run_session(laptop, client, fleet.url)
        results = {}
        for cmd in (locate, refresh):
            [done] = await status.wait_for(_status(cmd.command_id, "acknowledged"), 30)
            results[cmd.action] = json_of(done)["result"]
        fix = results[Action.LOCATE]["location"]
        assert (fix["latitude"], fix["longitude"]) == (laptop.latitude, laptop.longitude)
        assert results[Action.REFRESH]["inventory"]["name"] == laptop.device_name
        await reports.wait_for(_report(windows_id(laptop), "inventory"), count=2)
        [refused] = await status.wait_for(_status(lock.command_id, "failed"), 30)
        assert json_of(refused)["reason_code"] == "unsupported.lock_windows"
        # RemoteLock's PIN reset is documented for Windows 10 Mobile only (issue 18, item 11).
        [refused] = await status.wait_for(_status(reset.command_id, "failed"), 30)
        assert json_of(refused)["reason_code"] == "unsupported.passcode_windows"
        assert not [h for h in laptop.history if "RemoteLock" in h.target]

        wipe = _command(laptop, Action.WIPE)
        await _publish_and_wait_queued(producer, status, wipe)
        assert await run_session(laptop, client, fleet.url)
        await status.wait_for(_status(wipe.command_id, "acknowledged"), 30)
        assert laptop.wiped and laptop.wipe_node == "doWipeProtected"
        await assert_nowhere_in_clear(laptop.pin, records=status.seen + reports.seen,
                                      mongo=mongo, run_id=run_id, log=dispatcher.log_path)


async def test_bad_requests_are_refused_and_store_nothing(services, bootstrap, mongo, run_id):
    db = mongo[database_name(run_id, "command_dispatcher")]
    async with Tail(bootstrap, DEVICES_REPORTS) as reports, httpx.AsyncClient() as client:
        fleet, _ = start_fleet_and_dispatcher(services, SSP_MAX_DEVICE_BODY_BYTES="65536")
        [laptop] = fleet.devices
        certificate = laptop.identity().header_value()
        answer = await post_syncml(client, fleet, b"<SyncML><SyncHdr>", certificate=certificate)
        assert answer.status_code == 400
        answer = await post_syncml(client, fleet, b"<x/>" * 20000, certificate=certificate)
        assert answer.status_code == 413
        answer = await post_syncml(client, fleet, opening_message(fleet, laptop), certificate=None)
        assert answer.status_code == 401
        assert await db["windows_devices"].count_documents({}) == 0
        assert await db["commands"].count_documents({}) == 0

        assert await run_session(laptop, client, fleet.url)
        await reports.wait_for(_report(windows_id(laptop), "enrolled"))
        pinned = await _device_record(db, laptop)
        commands = await db["commands"].count_documents({})
        laptop.certificate = DeviceCertificate.create(laptop.device_id)  # someone else's key
        with pytest.raises(SessionError, match="401"):
            await run_session(laptop, client, fleet.url)
        assert await _device_record(db, laptop) == pinned
        assert await db["commands"].count_documents({}) == commands


async def test_a_broken_session_resends_reads_and_fails_the_rest(services, bootstrap):
    async with Producer(bootstrap) as producer, Tail(bootstrap, COMMANDS_STATUS) as status, \
            Tail(bootstrap, DEVICES_REPORTS) as reports, httpx.AsyncClient() as client:
        fleet, laptop = await _enrolled_laptop(services, client, reports)
        # One at a time: a queued wipe would cancel the locate (superseded_by_wipe).
        for cmd, outcome in ((_command(laptop, Action.LOCATE), "acknowledged"),
                             (_command(laptop, Action.WIPE), "failed")):
            await _publish_and_wait_queued(producer, status, cmd)
            answer = await open_and_abandon_session(client, fleet, laptop)
            assert answer.status_code == 200
            await status.wait_for(_status(cmd.command_id, "sent"), 30)
            assert await run_session(laptop, client, fleet.url)
            [done] = await status.wait_for(_status(cmd.command_id, outcome), 30)
        assert json_of(done)["reason_code"] == "session_interrupted"
        assert not laptop.wiped  # never run twice, here not even once


async def test_each_session_is_a_contact_the_portal_hears_of(services, bootstrap):
    """Every OMA-DM session after the first reports a contact (SSP_CONTACT_REPORT_S=0 here:
    each one), so the portal's "last contact" moves with the device's sessions."""
    async with Tail(bootstrap, DEVICES_REPORTS) as reports, httpx.AsyncClient() as client:
        fleet, _ = start_fleet_and_dispatcher(services, SSP_CONTACT_REPORT_S="0")
        [laptop] = fleet.devices
        contact = _report(windows_id(laptop), "checked_in")
        assert await run_session(laptop, client, fleet.url)
        await reports.wait_for(contact)
        between = datetime.now(UTC)  # every message of the first session came before this
        assert await run_session(laptop, client, fleet.url)
        [later, *_] = await reports.wait_for(
            lambda r: contact(r) and datetime.fromisoformat(json_of(r)["occurred_at"]) > between)
        assert json_of(later)["platform"] == "windows"


async def test_unenrollment_alert_reports_unenrolled_and_cancels_the_queue(services, bootstrap,
                                                                            mongo, run_id):
    """Microsoft, "Disconnecting from the management infrastructure (unenrollment)"
    (learn.microsoft.com/windows/client-management/disconnecting-from-mdm-unenrollment): "For
    device initiated MDM unenrollment, the alert type is
    com.microsoft:mdm.unenrollment.userrequest. After the user elects to unenroll, any active
    MDM OMA DM sessions are terminated. After that, the DMClient starts a DM session, including
    a user unenroll generic alert in the first package that it sends to the server." The
    sample package carries <Alert><Data>1226</Data> with that Meta/Type, Format int, Data 1."""
    db = mongo[database_name(run_id, "command_dispatcher")]
    async with Producer(bootstrap) as producer, Tail(bootstrap, COMMANDS_STATUS) as status, \
            Tail(bootstrap, DEVICES_REPORTS) as reports, httpx.AsyncClient() as client:
        fleet, laptop = await _enrolled_laptop(services, client, reports)
        locate = _command(laptop, Action.LOCATE)
        await _publish_and_wait_queued(producer, status, locate)

        assert await unenroll(laptop, client, fleet.url) == 200
        [gone] = await reports.wait_for(_report(windows_id(laptop), "unenrolled"), 30)
        assert json_of(gone)["platform"] == "windows"
        [canceled] = await status.wait_for(_status(locate.command_id, "canceled"), 30)
        assert json_of(canceled)["reason_code"] == "device_unenrolled"
        assert (await _device_record(db, laptop))["enrolled"] is False
        assert not [h for h in laptop.history if "RemoteFind" in h.target]  # never sent


async def test_unenrollment_alert_from_an_unknown_device_enrolls_nothing(services, bootstrap,
                                                                          mongo, run_id):
    """The same page: the alert is the device's goodbye ("After the previous package is sent,
    the unenrollment process begins"), so it never makes an unknown device known."""
    db = mongo[database_name(run_id, "command_dispatcher")]
    async with httpx.AsyncClient() as client:
        fleet, _ = start_fleet_and_dispatcher(services)
        [laptop] = fleet.devices
        assert await unenroll(laptop, client, fleet.url) == 401
        assert await db["windows_devices"].count_documents({}) == 0


async def test_a_device_certificate_counts_only_from_the_tls_proxy(services, bootstrap, mongo,
                                                                   run_id, tmp_path):
    """Issue 17, finding 3: "Windows identity is a forwarded header (X-SSP-Client-Cert,
    trusted by default, no CA, no proof of possession): a second client sending only a
    device's public certificate continued as that device; a new DeviceID enrolled into
    another org with ?org=." Outside demo mode now: the header counts only from the
    configured TLS proxy (here 127.0.0.1, which would have checked possession of the key),
    the certificate must come from the device CA and name the DeviceID, and ?org= is ignored.
    A second client (127.0.0.2, not a proxy) holding only the public certificate gets 401."""
    ca = DeviceCA.create()
    (tmp_path / "device-ca.pem").write_bytes(ca.pem)
    db = mongo[database_name(run_id, "command_dispatcher")]
    fleet, _ = start_fleet_and_dispatcher(
        services, devices=2, SSP_DEMO_MODE="false", SSP_DEFAULT_ORG="acme",
        SSP_SECRET_KEY=Fernet.generate_key().decode(),
        SSP_WINDOWS_TRUSTED_PROXIES='["127.0.0.1/32"]',
        SSP_WINDOWS_CLIENT_CA_FILE=str(tmp_path / "device-ca.pem"))
    laptop, other = fleet.devices
    laptop.certificate = DeviceCertificate.create(laptop.device_id, issuer=ca)
    other.certificate = DeviceCertificate.create(laptop.device_id, issuer=ca)  # names laptop
    org_url = fleet.url + "?org=someone-elses"
    async with Tail(bootstrap, DEVICES_REPORTS) as reports, httpx.AsyncClient() as proxy:
        assert await run_session(laptop, proxy, org_url)
        [enrolled] = await reports.wait_for(_report(windows_id(laptop), "enrolled"))
        assert json_of(enrolled)["org_id"] == "acme"
        with pytest.raises(SessionError, match="401"):  # a CA certificate of another device
            await run_session(other, proxy, fleet.url)
        other.certificate = DeviceCertificate.create(other.device_id)  # not from the CA
        with pytest.raises(SessionError, match="401"):
            await run_session(other, proxy, fleet.url)
    pinned = await _device_record(db, laptop)
    commands = await db["commands"].count_documents({})
    elsewhere = httpx.AsyncHTTPTransport(local_address="127.0.0.2")
    async with httpx.AsyncClient(transport=elsewhere) as stranger:
        with pytest.raises(SessionError, match="401"):  # the device's public certificate only
            await run_session(laptop, stranger, fleet.url)
    assert await _device_record(db, laptop) == pinned
    assert await db["commands"].count_documents({}) == commands
    assert await db["windows_devices"].count_documents({}) == 1
