"""Apple MDM session handling against Apple's own schema (apple/device-management, mdm/checkin
and mdm/commands) and nanomdm's behaviour, end to end: a real dispatcher on the real broker and
database, simulated devices over real HTTP with Mdm-Signature (issue 18, items 1-8)."""

from __future__ import annotations

import asyncio
import hashlib
import inspect
import json
import plistlib
import time

import httpx
from cryptography.fernet import Fernet
from cryptography.hazmat.primitives.serialization import Encoding
from ssp_contracts import Action, CommandAuthorized, ManagementMode, Platform
from ssp_contracts.capabilities import capability
from ssp_contracts.topics import COMMANDS_APPLE, COMMANDS_STATUS, DEVICES_REPORTS
from ssp_devstack import demo
from ssp_devstack.processes import free_port
from ssp_simulators.apple.__main__ import arguments as simulator_arguments
from ssp_simulators.apple.__main__ import fleet_from
from ssp_simulators.apple.session import Behaviour
from ssp_simulators.apple.signing import DeviceCertificate

from tests.conftest import database_name
from tests.support.apple import authorized, start_fleet_and_dispatcher
from tests.support.kafka import Producer, Tail, json_of

CHECKIN = "application/x-apple-aspen-mdm-checkin"


def status_of(command_id: str, status: str):
    return lambda r: json_of(r)["command_id"] == command_id and json_of(r)["status"] == status


def mac_lock(udid: str) -> CommandAuthorized:
    return authorized(udid, Action.LOCK, platform=Platform.MACOS, mode=ManagementMode.MACOS)


def inventory_of(udid: str):
    return lambda r: json_of(r)["device_id"] == udid and json_of(r)["kind"] == "inventory"


async def until(condition, timeout_s: float = 30.0) -> None:
    """Wait for `condition()` (a value, or an awaitable of one) to be true, with a deadline."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = condition()
        if inspect.isawaitable(value):
            value = await value
        if value:
            return
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.1)


async def test_identity_failures_are_answered_400_never_401(services, mongo, run_id):
    """Apple, ErrorUnrecognizedDevice: "The MDM server returns this response when it doesn't
    recognize the device making the request. This causes the device to unenroll from the MDM
    server. Use this error instead of the server returning a 401 response to cause an
    unenroll." nanomdm, http/mdm/mdm_cert.go CertVerifyMiddleware: "We deliberately do not
    reply with 401 as this may cause unintentional MDM unenrollments in the case of bugs or
    something going wrong." So a missing or bad signature or another certificate is a 400, and
    the device keeps its profile until an administrator decides otherwise."""
    fleet, _ = await start_fleet_and_dispatcher(services, iphones=1)
    try:
        await fleet.enroll_pending()
        [iphone] = fleet.devices
        urls = fleet.session(iphone)._endpoints
        idle = plistlib.dumps({"UDID": iphone.udid, "Status": "Idle"})
        stranger = DeviceCertificate.create("stranger")
        async with httpx.AsyncClient() as http:
            answers = [
                (await http.put(urls.connect_url, content=idle,
                                headers={"Mdm-Signature": stranger.sign(idle)})).status_code,
                (await http.put(urls.connect_url, content=idle, headers={
                    "Mdm-Signature": iphone.identity().sign(b"other")})).status_code,
                (await http.put(urls.connect_url, content=idle)).status_code,
                (await http.put(urls.checkin_url, content=idle, headers={
                    "Mdm-Signature": "not base64!", "Content-Type": CHECKIN})).status_code,
            ]
        assert answers == [400, 400, 400, 400]
        db = mongo[database_name(run_id, "command_dispatcher")]
        assert (await db["apple_devices"].find_one({"_id": iphone.udid}))["enrolled"] is True
    finally:
        await fleet.stop()


async def test_check_ins_sent_to_the_server_url_are_handled(services, bootstrap):
    """Apple's mdm/profiles/com.apple.mdm.yaml, `CheckInURL` ("presence: optional"): "The URL
    that the device should use to check in during installation. ... If not set, the system uses
    `ServerURL`." nanomdm serves both from one handler (http/mdm/mdm.go,
    CheckinAndCommandHandler). A profile without a CheckInURL must enroll, and its device must
    take commands."""
    fleet, _ = await start_fleet_and_dispatcher(services, iphones=1, checkin_url=False)
    try:
        assert await fleet.enroll_pending() == []
        [iphone] = fleet.devices
        cmd = authorized(iphone.udid, Action.LOCK)
        async with Producer(bootstrap) as producer, Tail(bootstrap, COMMANDS_STATUS) as status:
            await producer.send_event(COMMANDS_APPLE, cmd)
            await status.wait_for(status_of(cmd.command_id, "acknowledged"), 30)
    finally:
        await fleet.stop()


async def test_after_not_now_the_next_command_is_offered_in_the_same_session(
        services, bootstrap, mongo, run_id):
    """Apple, "Sending MDM commands to a device" (NotNow): the device answers NotNow when it
    cannot run a command now (a Mac in Power Nap, an iPhone before its first unlock) and polls
    again later; nanomdm then offers the next queued command in the same session. A device
    that declines the refresh queued at enrollment still takes the passcode reset queued
    after it, right after declining, while the refresh waits for its next Idle."""
    asleep = Behaviour(not_now_except=frozenset({"ClearPasscode", "DeviceLock", "EraseDevice"}),
                       not_now_retry_s=60)  # its own retry would come too late for the test
    fleet, _ = await start_fleet_and_dispatcher(services, iphones=1, behaviour=asleep)
    try:
        async with Producer(bootstrap) as producer, Tail(bootstrap, COMMANDS_STATUS) as status:
            await fleet.enroll_pending()
            [iphone] = fleet.devices
            await until(lambda: any(r.request_type == "DeviceInformation"
                                    for r in iphone.received))
            reset = authorized(iphone.udid, Action.RESET_PASSCODE)
            await producer.send_event(COMMANDS_APPLE, reset)
            await status.wait_for(status_of(reset.command_id, "acknowledged"), 20)
        kinds = [(r.request_type, r.status) for r in iphone.received]
        at = kinds.index(("ClearPasscode", "Acknowledged"))
        assert kinds[at - 1] == ("DeviceInformation", "NotNow")  # same session, next command
        assert {k for k in kinds if k[0] == "DeviceInformation"} == {("DeviceInformation",
                                                                      "NotNow")}
        db = mongo[database_name(run_id, "command_dispatcher")]
        refresh = await db["commands"].find_one({"device_id": iphone.udid, "action": "refresh"})
        assert refresh["status"] == "sent"  # kept for the device's next session
    finally:
        await fleet.stop()


async def test_lock_and_wipe_overtake_a_refresh_queued_before_them(services, bootstrap):
    """Issue 18.3 from Apple's NotNow description: a lost device may take only one command
    before it sleeps again, so a wipe, lock or lost mode must not wait behind a refresh that
    was queued first. The device comes back to a queue [refresh, lock]: the lock comes first."""
    fleet, _ = await start_fleet_and_dispatcher(services, iphones=1)
    try:
        async with Producer(bootstrap) as producer, Tail(bootstrap, COMMANDS_STATUS) as status:
            await fleet.enroll_pending()
            [iphone] = fleet.devices
            await status.wait_for(lambda r: json_of(r)["command_id"].startswith("inv-")
                                  and json_of(r)["status"] == "acknowledged", 30)
            fleet.go_offline(iphone)
            refresh, lock = (authorized(iphone.udid, a) for a in (Action.REFRESH, Action.LOCK))
            for cmd in (refresh, lock):
                await producer.send_event(COMMANDS_APPLE, cmd)
                await status.wait_for(status_of(cmd.command_id, "queued"), 30)
            seen = len(iphone.received)
            await fleet.come_online(iphone)
            await status.wait_for(status_of(refresh.command_id, "acknowledged"), 30)
        assert [r.request_type for r in iphone.received[seen:]] == \
            ["DeviceLock", "DeviceInformation"]
    finally:
        await fleet.stop()


async def test_the_user_channel_is_kept_apart_from_the_device_channel(
        services, bootstrap, mongo, run_id):
    """Apple's tokenupdate.yaml: `UserID` and `UserShortName` are "devicechannel: false" (they
    mark the user channel), and device.lock.yaml has macOS "userchannel: false". The user
    channel's TokenUpdate keeps its own Token and PushMagic, its Idle never receives the
    device's DeviceLock, and its answers are never recorded as the device's."""
    fleet, _ = await start_fleet_and_dispatcher(services, iphones=0, macs=1)
    try:
        [mac] = fleet.devices
        mac.user_id = "A1B2C3D4-0000-4000-8000-00000000CAFE"
        async with Producer(bootstrap) as producer, Tail(bootstrap, COMMANDS_STATUS) as status:
            assert await fleet.enroll_pending() == []
            await status.wait_for(lambda r: json_of(r)["command_id"].startswith("inv-")
                                  and json_of(r)["status"] == "acknowledged", 30)
            db = mongo[database_name(run_id, "command_dispatcher")]
            stored = await db["apple_devices"].find_one({"_id": mac.udid})
            assert stored["push_token"] == mac.push_token  # not the user's
            assert stored["push_magic"] == mac.push_magic
            [channel] = await db["apple_user_channels"].find({"udid": mac.udid}).to_list(None)
            assert channel["push_token"] == mac.user_push_token
            fleet.go_offline(mac)  # the device channel sleeps; the user is logged in
            lock = mac_lock(mac.udid)
            await producer.send_event(COMMANDS_APPLE, lock)
            await status.wait_for(status_of(lock.command_id, "queued"), 30)
            await fleet.connect_user(mac)
            assert mac.user_received == []
            assert (await db["commands"].find_one({"_id": lock.command_id}))["status"] == "queued"
            await fleet.come_online(mac)
            await status.wait_for(status_of(lock.command_id, "acknowledged"), 30)
    finally:
        await fleet.stop()


async def test_other_check_in_types_are_answered_as_apple_specifies(services):
    """Apple's userauthenticate.yaml: "If the server isn't going to manage the user, it
    returns a 410 status code to the initial UserAuthenticate request." getbootstraptoken.yaml:
    "If a bootstrap token isn't available, the server returns a success response with either a
    zero-length value for the BootstrapToken key or omits the key." The server offers no
    declarations, no bootstrap token escrow and no token service: documented 400s."""
    fleet, _ = await start_fleet_and_dispatcher(services, iphones=0, macs=1)
    try:
        await fleet.enroll_pending()
        [mac] = fleet.devices
        url = fleet.session(mac)._endpoints.checkin_url
        base = {"Topic": mac.topic, "UDID": mac.udid}
        messages = {
            "UserAuthenticate": {"UserID": "u-1", "DigestResponse": ""},
            "GetBootstrapToken": {},
            "DeclarativeManagement": {"EnrollmentID": mac.udid, "Endpoint": "tokens"},
            "SetBootstrapToken": {"BootstrapToken": b"t"},
            "GetToken": {"TokenServiceType": "com.apple.maid"},
        }
        answers = {}
        async with httpx.AsyncClient() as http:
            for kind, extra in messages.items():
                body = plistlib.dumps({"MessageType": kind, **base, **extra})
                r = await http.put(url, content=body, headers={
                    "Mdm-Signature": mac.identity().sign(body), "Content-Type": CHECKIN})
                answers[kind] = r.status_code
                if kind == "GetBootstrapToken":
                    assert "BootstrapToken" not in plistlib.loads(r.content)
        assert answers == {"UserAuthenticate": 410, "GetBootstrapToken": 200,
                           "DeclarativeManagement": 400, "SetBootstrapToken": 400,
                           "GetToken": 400}
    finally:
        await fleet.stop()


async def test_a_device_awaiting_configuration_is_sent_device_configured(services, mongo, run_id):
    """Apple's tokenupdate.yaml, AwaitingConfiguration: "If the device reports that it is
    AwaitingConfiguration, the MDM server needs to send a Device-Configured-Command MDM command
    before the device allows the user to proceed in Setup Assistant." This server has nothing
    to configure first, so DeviceConfigured comes at once."""
    fleet, _ = await start_fleet_and_dispatcher(services, iphones=1)
    try:
        [iphone] = fleet.devices
        iphone.awaiting_configuration = True
        assert await fleet.enroll_pending() == []
        await until(lambda: iphone.state.configured)
        db = mongo[database_name(run_id, "command_dispatcher")]

        async def cleared() -> bool:
            doc = await db["apple_devices"].find_one({"_id": iphone.udid})
            return doc.get("awaiting_configuration") is False
        await until(cleared)
    finally:
        await fleet.stop()


async def test_a_new_identity_for_a_known_udid_is_a_re_enrollment(services, bootstrap):
    """nanomdm (service/nanomdm, Authenticate) accepts a new identity certificate for a known
    enrollment: Apple devices get one with every new profile and after an erase. The device
    enrolls again without a CheckOut, its new certificate is pinned, the old one is refused
    (400), and the registry is told the identity changed (so it can drop the owner link)."""
    fleet, _ = await start_fleet_and_dispatcher(services, iphones=1)
    try:
        async with Producer(bootstrap) as producer, Tail(bootstrap, COMMANDS_STATUS) as status, \
                Tail(bootstrap, DEVICES_REPORTS) as reports:
            await fleet.enroll_pending()
            [iphone] = fleet.devices
            old = iphone.identity()
            # Its first session over: a session in flight would sign with the new identity.
            await status.wait_for(lambda r: json_of(r)["command_id"].startswith("inv-")
                                  and json_of(r)["status"] == "acknowledged", 30)
            await fleet.reenroll(iphone)
            enrolled = await reports.wait_for(
                lambda r: json_of(r)["device_id"] == iphone.udid
                and json_of(r)["kind"] == "enrolled", count=2)
            assert [json_of(r)["identity_changed"] for r in enrolled] == [False, True]
            lock = authorized(iphone.udid, Action.LOCK)
            await producer.send_event(COMMANDS_APPLE, lock)
            await status.wait_for(status_of(lock.command_id, "acknowledged"), 30)
        idle = plistlib.dumps({"UDID": iphone.udid, "Status": "Idle"})
        async with httpx.AsyncClient() as http:
            r = await http.put(fleet.session(iphone)._endpoints.connect_url, content=idle,
                               headers={"Mdm-Signature": old.sign(idle)})
        assert r.status_code == 400
    finally:
        await fleet.stop()


async def test_a_user_enrollment_mac_is_classified_so_lock_and_wipe_are_not_offered(
        services, bootstrap):
    """Apple's authenticate.yaml: `UDID` is "userenrollment: forbidden" and `EnrollmentID`
    "userenrollment: required" on macOS; device.lock.yaml and device.erase.yaml: macOS
    "userenrollment: mode: forbidden". A Mac enrolling with an EnrollmentID is a User
    Enrollment Mac, for which the capability matrix offers neither lock nor wipe."""
    async with Tail(bootstrap, DEVICES_REPORTS) as reports:
        fleet, _ = await start_fleet_and_dispatcher(services, iphones=0, macs=1)
        try:
            [mac] = fleet.devices
            mac.user_enrollment = True
            assert await fleet.enroll_pending() == []
            [enrolled] = await reports.wait_for(
                lambda r: json_of(r)["device_id"] == mac.udid and json_of(r)["kind"] == "enrolled")
            mode = ManagementMode(json_of(enrolled)["management_mode"])
            assert mode is ManagementMode.MACOS_USER_ENROLLMENT
            assert json_of(enrolled)["platform"] == "macos"
            assert not capability(Action.LOCK, mode).supported
            assert not capability(Action.WIPE, mode).supported
            assert capability(Action.REFRESH, mode).supported
        finally:
            await fleet.stop()


async def test_a_mac_locks_without_a_pin_and_old_macos_capacity_is_read_in_gib(
        services, bootstrap):
    """Apple's device.lock.yaml and device.erase.yaml, key `PIN`: "presence: optional"
    (the Find My PIN older Macs need). information.device.yaml, DeviceCapacity: "The total
    capacity in floating-point base-10 gigabytes (GB) on iOS and macOS 12 or later. The
    capacity is in base-2 gibibytes (GiB) on macOS 11 and earlier." """
    async with Tail(bootstrap, DEVICES_REPORTS) as reports:
        fleet, _ = await start_fleet_and_dispatcher(services, iphones=0, macs=1)
        try:
            [mac] = fleet.devices
            mac.os_version, mac.capacity_gb, mac.available_gb = "11.7.10", 465.63, 200.5
            assert await fleet.enroll_pending() == []
            [inventory] = await reports.wait_for(inventory_of(mac.udid), timeout_s=30)
            fields = json_of(inventory)["inventory"]
            assert fields["storage_total_bytes"] == round(465.63 * 2**30)
            assert fields["storage_free_bytes"] == round(200.5 * 2**30)
            lock = mac_lock(mac.udid)
            async with Producer(bootstrap) as producer, \
                    Tail(bootstrap, COMMANDS_STATUS) as status:
                await producer.send_event(COMMANDS_APPLE, lock)
                await status.wait_for(status_of(lock.command_id, "acknowledged"), 30)
            [record] = [r for r in mac.received if r.command_uuid == lock.command_id]
            assert record.executed
        finally:
            await fleet.stop()


async def test_outside_demo_mode_only_ca_issued_identities_enroll_into_the_configured_org(
        services, bootstrap, tmp_path):
    """Issue 17, finding 2: "Any client enrolls any UDID into any org with ?org=". What to
    build: "outside demo mode, the device identity certificate must chain to a configured
    enrollment CA (SSP_IDENTITY_CA_FILE, required) ...; the org comes from that enrollment,
    never from a query parameter." A self-signed identity is refused (400, not 401), `?org=`
    is ignored (the org is the one configured for the issuing CA), another identity cannot take
    an enrolled UDID over, and a new CA-issued identity is a re-enrollment."""
    ca = DeviceCertificate.authority("Enrollment CA")
    (tmp_path / "ca.pem").write_bytes(ca.pem())
    ca_fingerprint = hashlib.sha256(ca.certificate.public_bytes(Encoding.DER)).hexdigest()
    fleet, _ = await start_fleet_and_dispatcher(
        services, iphones=2, query="?org=evil", SSP_DEMO_MODE="false",
        SSP_IDENTITY_CA_FILE=str(tmp_path / "ca.pem"), SSP_DEFAULT_ORG="unassigned",
        SSP_IDENTITY_CA_ORGS=json.dumps({ca_fingerprint: "acme"}),
        SSP_SECRET_KEY=Fernet.generate_key().decode())
    try:
        trusted, stranger = fleet.devices
        trusted.identity_issuer = ca
        async with Tail(bootstrap, DEVICES_REPORTS) as reports:
            assert await fleet.enroll_pending() == [stranger]
            assert fleet.session(stranger).http_errors == ["Authenticate: HTTP 400"]
            [enrolled] = await reports.wait_for(
                lambda r: json_of(r)["device_id"] == trusted.udid
                and json_of(r)["kind"] == "enrolled")
            assert json_of(enrolled)["org_id"] == "acme"
            # A self-signed identity cannot take the enrolled UDID over.
            impostor = DeviceCertificate.create(trusted.udid)
            auth = plistlib.dumps(trusted.authenticate_message())
            async with httpx.AsyncClient() as http:
                r = await http.put(fleet.session(trusted)._endpoints.checkin_url, content=auth,
                                   headers={"Mdm-Signature": impostor.sign(auth),
                                            "Content-Type": CHECKIN})
            assert r.status_code == 400
            await reports.wait_for(inventory_of(trusted.udid))  # no session in flight
            await fleet.reenroll(trusted)  # a new identity from the same CA
            again = await reports.wait_for(
                lambda r: json_of(r)["device_id"] == trusted.udid
                and json_of(r)["kind"] == "enrolled", count=2)
            assert (json_of(again[-1])["identity_changed"],
                    json_of(again[-1])["identity_trusted"]) == (True, True)
    finally:
        await fleet.stop()


async def test_an_orgs_erase_options_reach_its_iphones(services, bootstrap):
    """Apple's device.erase.yaml: `PreserveDataPlan` ("preserve the data plan on an iPhone or
    iPad with eSIM functionality") and `DisallowProximitySetup`, both optional and false by
    default: an org's operators set them once (SSP_APPLE_ERASE_OPTIONS), every wipe of the
    org's iPhones carries them."""
    fleet, _ = await start_fleet_and_dispatcher(
        services, iphones=1,
        SSP_APPLE_ERASE_OPTIONS='{"demo": {"preserve_data_plan": true}}')
    try:
        await fleet.enroll_pending()
        [iphone] = fleet.devices
        wipe = authorized(iphone.udid, Action.WIPE)
        async with Producer(bootstrap) as producer, Tail(bootstrap, COMMANDS_STATUS) as status:
            await producer.send_event(COMMANDS_APPLE, wipe)
            await status.wait_for(status_of(wipe.command_id, "acknowledged"), 30)
        [erase] = [r for r in iphone.received if r.command_uuid == wipe.command_id]
        assert erase.options == {"PreserveDataPlan"}
    finally:
        await fleet.stop()


async def test_make_runs_apple_fleet_has_power_nap_server_url_only_and_a_reenrollment(
        services, bootstrap):
    """`make run`'s Apple fleet (`ssp_devstack.demo.APPLE_FLEET_ARGS`) has, besides the Mac's
    user channel, a Mac in Power Nap (Apple: NotNow "if the device can't run the command now";
    it still takes a lock), an iPhone whose profile has no CheckInURL (Apple's com.apple.mdm
    `CheckInURL`: "If not set, the system uses `ServerURL`") and a device that enrolls again
    with a new identity. The same fleet, against a real dispatcher, does what the demo shows."""
    args = simulator_arguments(["--apns-port", "0", *demo.APPLE_FLEET_ARGS])
    assert (args.power_nap_macs, args.server_url_only_iphones) == (1, 1)
    assert args.user_channel and args.reenroll_after is not None
    args.seed = None  # the fleet's shape, with identities of its own
    port = free_port()
    fleet = fleet_from(args, server=f"http://127.0.0.1:{port}")
    await fleet.start(enroll=False)
    services("command_dispatcher", SSP_DEVICE_HTTP_PORT=str(port),
             SSP_APNS_BASE_URL=fleet.apns_url, SSP_DEMO_MODE="true")
    try:
        assert await fleet.enroll_pending() == []
        [mac], [iphone] = fleet.power_nap, fleet.server_url_only
        assert {mac.device_name, iphone.device_name} == set(demo.OWNER_BY_NAME)  # demo's seed
        assert fleet.session(iphone)._endpoints.checkin_url.endswith("/mdm/apple/connect")
        first = fleet.devices[0]
        await fleet.reenroll(first)  # accepted: a refused check-in raises
        await until(lambda: ("DeviceInformation", "NotNow") in [
            (r.request_type, r.status) for r in mac.received])
        commands = [authorized(mac.udid, Action.LOCK, platform=Platform.MACOS,
                               mode=ManagementMode.MACOS),
                    authorized(iphone.udid, Action.LOCK), authorized(first.udid, Action.LOCK)]
        async with Producer(bootstrap) as producer, Tail(bootstrap, COMMANDS_STATUS) as status:
            for cmd in commands:
                await producer.send_event(COMMANDS_APPLE, cmd)
            wanted = {cmd.command_id: cmd.device_id for cmd in commands}
            try:
                await status.wait_for(lambda r: json_of(r)["command_id"] in wanted
                                      and json_of(r)["status"] == "acknowledged", 60, count=3)
            except AssertionError:
                seen = [(wanted.get(json_of(r)["command_id"]), json_of(r)["status"])
                        for r in status.seen]
                answers = [(r.request_type, r.status) for r in mac.received]
                raise AssertionError(f"statuses: {seen}; power nap: {mac.udid}, re-enrolled: "
                                     f"{first.udid}, its answers: {answers}") from None
    finally:
        await fleet.stop()


def test_the_demo_seed_gives_the_extra_apple_devices_to_alice_and_keeps_the_others_owners():
    """The README's owner table holds with the extras: they go to alice by name, outside the
    every-third count that assigns the others."""
    others = {f"dev-{i}": f"Phone {i}" for i in range(10)}
    extras = {"dev-0a": "Mac in Power Nap", "dev-0b": "iPhone without CheckInURL"}
    assert demo.demo_owners(others | extras) == demo.demo_owners(others) | {
        "dev-0a": "alice", "dev-0b": "alice"}
