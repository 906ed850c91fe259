"""The authorizer through the real topics: device snapshots on ssp.devices and requests on
ssp.commands.requested in; CommandAuthorized, statuses and audit records out.

Every rule test sends a request that is authorized and, beside it, the same request with one
thing changed, and expects that one rule's rejection code.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from ssp_contracts import cloudevents
from ssp_contracts.commands import CommandCancelRequested, CommandParams, CommandRequested
from ssp_contracts.devices import DeviceOwner, DeviceSnapshot
from ssp_contracts.enums import Action, LinkSource, ManagementMode, Platform
from ssp_contracts.topics import (
    AUDIT,
    COMMANDS_ANDROID,
    COMMANDS_APPLE,
    COMMANDS_REQUESTED,
    COMMANDS_STATUS,
    COMMANDS_WINDOWS,
    DEVICES,
    dlq_name,
)

from tests.integration import test_permission_harness as harness
from tests.integration.test_permission_harness import (
    admin_call,
    bootstrap_admin_id,
    create_user,
    new_id,
)
from tests.support.kafka import Producer, Tail, headers_of, json_of
from tests.support.signing import as_portal

# Fixtures of the shared harness, bound here so pytest finds them for this module.
database = harness.database
org = harness.org
permission_service = harness.permission_service
rpc = harness.rpc

M = ManagementMode


@dataclass(frozen=True)
class People:
    admin: str
    owner: str  # full access
    reader: str  # read access only
    disabled: str  # full access, account disabled


@dataclass(frozen=True)
class Case:
    device: DeviceSnapshot | None
    request: CommandRequested
    portal_signed: bool = True  # sent as the gateway would (else as another system)

    def with_device(self, **changes: object) -> Case:
        assert self.device is not None
        device_id = new_id("dev")  # a fresh device, so the two cases never share state
        return Case(self.device.model_copy(update={"device_id": device_id, **changes}),
                    self.request.model_copy(update={"device_id": device_id,
                                                    "command_id": new_id("cmd")}),
                    self.portal_signed)

    def with_request(self, **changes: object) -> Case:
        device_id = new_id("dev")
        device = self.device.model_copy(update={"device_id": device_id}) if self.device else None
        return Case(device, self.request.model_copy(update={
            "device_id": device_id, "command_id": new_id("cmd"), **changes}),
            self.portal_signed)

    def unsigned(self) -> Case:
        """The same request (a fresh device and id) with no gateway signature."""
        again = self.with_request()
        return Case(again.device, again.request, portal_signed=False)


class Wire:
    """One producer and tails for the whole module (opening them per test costs seconds)."""

    def __init__(self, bootstrap: str) -> None:
        self.producer = Producer(bootstrap)
        self.tails = {t: Tail(bootstrap, t) for t in (COMMANDS_STATUS, COMMANDS_APPLE,
                                                      COMMANDS_ANDROID, COMMANDS_WINDOWS, AUDIT)}

    async def send(self, *cases: Case) -> None:
        for case in cases:
            if case.device is not None:
                await self.producer.send_event(DEVICES, case.device)
        for case in cases:
            await self.producer.send_event(
                COMMANDS_REQUESTED, case.request,
                headers=as_portal(case.request) if case.portal_signed else None)

    async def decided(self, case: Case) -> dict:
        [record] = await self.tails[COMMANDS_STATUS].wait_for(
            lambda r: json_of(r)["command_id"] == case.request.command_id)
        return json_of(record)

    async def outcomes(self, *cases: Case) -> list[str]:
        """Each case's decision: "authorized" or the rejection code."""
        await self.send(*cases)
        statuses = [await self.decided(case) for case in cases]
        return [s["status"] if s["status"] == "authorized" else s["reason_code"]
                for s in statuses]


@pytest.fixture(scope="module")
async def people(permission_service, rpc, org) -> People:
    admin = await bootstrap_admin_id(rpc, org)
    disabled = await create_user(rpc, org, admin, roles=["builtin-ssp-full"])
    reply = await admin_call(rpc, org, admin, "update_user", target_id=disabled, enabled=False)
    assert reply.status == 200
    return People(admin=admin, owner=await create_user(rpc, org, admin,
                                                       roles=["builtin-ssp-full"]),
                  reader=await create_user(rpc, org, admin, roles=["builtin-ssp-read"]),
                  disabled=disabled)


@pytest.fixture(scope="module")
async def wire(permission_service, bootstrap):
    w = Wire(bootstrap)
    async with w.producer:
        for tail in w.tails.values():
            await tail.__aenter__()
        yield w
        for tail in w.tails.values():
            await tail.__aexit__(None, None, None)


def allowed(org: str, owner: str, action: Action = Action.LOCK, mode: M = M.IOS_SUPERVISED,
            platform: Platform = Platform.IOS, lost_mode: bool = False, **params: str) -> Case:
    """A request the authorizer allows: the owner, full access, a device that can do it."""
    now = datetime.now(UTC)
    device_id = new_id("dev")
    return Case(
        DeviceSnapshot(org_id=org, device_id=device_id, version=1, platform=platform,
                       management_mode=mode, lost_mode=lost_mode,
                       owner=DeviceOwner(user_id=owner, linked_at=now, source=LinkSource.MANUAL)),
        CommandRequested(org_id=org, command_id=new_id("cmd"), device_id=device_id,
                         action=action, params=CommandParams(**params), requested_by=owner,
                         requested_at=now))


async def test_an_allowed_request_goes_to_its_platform_family_with_status_and_audit(
        wire, org, people):
    case = allowed(org, people.owner)
    assert await wire.outcomes(case) == ["authorized"]
    status = await wire.decided(case)
    assert (status["version"], status["reason_code"]) == (2, None)
    [authorized] = await wire.tails[COMMANDS_APPLE].wait_for(
        lambda r: json_of(r)["command_id"] == case.request.command_id)
    assert authorized.key == case.request.device_id.encode()
    assert headers_of(authorized)["ce_type"] == "ssp.command.authorized.v1"
    assert (json_of(authorized)["platform"], json_of(authorized)["management_mode"]) == (
        "ios", "ios_supervised")
    [audit] = await wire.tails[AUDIT].wait_for(
        lambda r: json_of(r)["command_id"] == case.request.command_id)
    assert (json_of(audit)["action"], json_of(audit)["outcome"]) == (
        "authorized_command", "succeeded")


async def test_android_and_windows_commands_go_to_their_own_topics(wire, org, people):
    android = allowed(org, people.owner, Action.WIPE, M.ANDROID_FULLY_MANAGED, Platform.ANDROID)
    windows = allowed(org, people.owner, Action.WIPE, M.WINDOWS, Platform.WINDOWS)
    assert await wire.outcomes(android, windows) == ["authorized", "authorized"]
    for topic, case in ((COMMANDS_ANDROID, android), (COMMANDS_WINDOWS, windows)):
        await wire.tails[topic].wait_for(
            lambda r, c=case: json_of(r)["command_id"] == c.request.command_id)


async def test_rule_requester_unknown(wire, org, people):
    stranger = new_id("u")
    base = allowed(org, people.owner)
    assert await wire.outcomes(base, base.with_request(requested_by=stranger).with_device(
        owner=DeviceOwner(user_id=stranger, linked_at=datetime.now(UTC),
                          source=LinkSource.MANUAL))) == ["authorized", "requester.unknown"]


async def test_rule_requester_disabled(wire, org, people):
    base = allowed(org, people.owner)
    disabled = allowed(org, people.disabled)
    assert await wire.outcomes(base, disabled) == ["authorized", "requester.disabled"]


async def test_rule_device_unknown(wire, org, people):
    base = allowed(org, people.owner)
    assert await wire.outcomes(base, Case(None, base.with_request().request)) == [
        "authorized", "device.unknown"]


async def test_rule_device_of_another_org_is_unknown(wire, org, people):
    base = allowed(org, people.owner)
    assert await wire.outcomes(base, base.with_device(org_id=new_id("other"))) == [
        "authorized", "device.unknown"]


async def test_rule_device_not_owned(wire, org, people):
    base = allowed(org, people.owner)
    someone_else = DeviceOwner(user_id=people.reader, linked_at=datetime.now(UTC),
                               source=LinkSource.MANUAL)
    assert await wire.outcomes(base, base.with_device(owner=someone_else)) == [
        "authorized", "device.not_owned"]


async def test_rule_permission_missing(wire, org, people):
    base = allowed(org, people.owner)
    assert await wire.outcomes(base, allowed(org, people.reader)) == [
        "authorized", "permission.missing"]


async def test_rule_capability_unsupported_by_the_management_mode(wire, org, people):
    base = allowed(org, people.owner, Action.WIPE)
    assert await wire.outcomes(base, base.with_device(management_mode=M.IOS_USER_ENROLLMENT)) \
        == ["authorized", "unsupported.wipe_user_enrollment"]


async def test_rule_capability_depends_on_the_device_state(wire, org, people):
    base = allowed(org, people.owner, Action.LOCATE, lost_mode=True)
    assert await wire.outcomes(base, base.with_device(lost_mode=False)) == [
        "authorized", "state.not_in_lost_mode"]


async def test_rule_lost_mode_needs_a_message_or_phone_number(wire, org, people):
    base = allowed(org, people.owner, Action.ENABLE_LOST_MODE, message="Please call me")
    assert await wire.outcomes(base, base.with_request(params=CommandParams())) == [
        "authorized", "params.message_or_phone_required"]


async def test_rule_locking_a_mac_needs_a_pin_where_its_model_does(wire, org, people):
    """The PIN is optional in Apple's schema; an older Intel Mac or an unknown model needs it,
    a Mac with Apple silicon does not: the authorizer's device view keeps the model."""
    base = allowed(org, people.owner, Action.LOCK, M.MACOS, Platform.MACOS, pin="123456")
    without = base.with_request(params=CommandParams())
    assert await wire.outcomes(
        base, without, without.with_device(model="MacBookPro14,1"),
        without.with_device(model="MacBook Air (MacBookAir10,1)"),
    ) == ["authorized", "params.pin_required", "params.pin_required", "authorized"]


async def test_rule_device_wiped(wire, org, people):
    base = allowed(org, people.owner)
    assert await wire.outcomes(base, base.with_device(wipe_state="wiped")) == [
        "authorized", "device.wiped"]


async def test_rule_device_unenrolled(wire, org, people):
    base = allowed(org, people.owner)
    assert await wire.outcomes(base, base.with_device(enrolled=False)) == [
        "authorized", "device.unenrolled"]


def cancel_of(request: CommandRequested, **changes: object) -> CommandCancelRequested:
    return CommandCancelRequested(
        org_id=request.org_id, command_id=request.command_id, device_id=request.device_id,
        action=request.action, requested_by=request.requested_by,
        requested_at=datetime.now(UTC)).model_copy(update=changes)


async def test_a_cancel_is_forwarded_behind_its_authorized_command_and_only_then(
        wire, org, people):
    """The permission-service is the only writer of the family topics (Kafka ACLs), so the
    portal's cancels pass through it: forwarded after the command's CommandAuthorized (same
    key), once per cancel; a cancel of a rejected command, of an unknown one or under
    another org has nothing to cancel and goes nowhere."""
    ok = allowed(org, people.owner)
    rejected = allowed(org, people.reader)  # read access only: rejected
    await wire.send(ok, rejected)
    assert [await wire.decided(c) for c in (ok, rejected)][1]["status"] == "rejected"
    producer = wire.producer
    await producer.send_event(COMMANDS_REQUESTED, cancel_of(rejected.request))
    await producer.send_event(COMMANDS_REQUESTED, cancel_of(ok.request, org_id=new_id("other")))
    await producer.send_event(COMMANDS_REQUESTED, cancel_of(
        ok.request, command_id=new_id("cmd")))
    await producer.send_event(COMMANDS_REQUESTED, cancel_of(ok.request))
    apple = wire.tails[COMMANDS_APPLE]
    [cancel] = await apple.wait_for(
        lambda r: headers_of(r)["ce_type"] == "ssp.command.cancel_requested.v1"
        and json_of(r)["command_id"] == ok.request.command_id)
    assert cancel.key == ok.request.device_id.encode()
    assert json_of(cancel)["requested_by"] == people.owner
    # Sent last and on the same key: once it is out, the others would have been too.
    mine = [r for r in apple.seen if json_of(r)["device_id"] in (
        ok.request.device_id, rejected.request.device_id)]
    assert [headers_of(r)["ce_type"] for r in mine] == [
        "ssp.command.authorized.v1", "ssp.command.cancel_requested.v1"]


async def test_rule_device_wipe_pending(wire, org, people):
    base = allowed(org, people.owner)
    assert await wire.outcomes(base, base.with_device(wipe_state="pending")) == [
        "authorized", "device.wipe_pending"]


async def test_rule_params_an_action_does_not_use(wire, org, people):
    base = allowed(org, people.owner, Action.REFRESH)
    assert await wire.outcomes(base, base.with_request(params=CommandParams(message="x"))) == [
        "authorized", "params.not_accepted"]


async def test_a_forged_portal_wipe_is_an_integration_request_and_rejected(wire, org, people):
    # Straight onto the topic, in alice's name, `source` left at "portal": without the
    # gateway's signature it is another system's request, and alice holds no ssp.integration.
    base = allowed(org, people.owner, Action.WIPE)
    forged = base.unsigned()
    assert forged.request.source == "portal"
    assert await wire.outcomes(base, forged) == ["authorized", "integration.permission_missing"]
    # A portal signature over another record does not carry over.
    stolen = base.with_request()
    await wire.producer.send_event(DEVICES, stolen.device)
    await wire.producer.send_event(COMMANDS_REQUESTED, stolen.request,
                                   headers=as_portal(base.request))
    assert (await wire.decided(stolen))["reason_code"] == "integration.permission_missing"


async def test_other_systems_may_run_the_other_actions_with_the_usual_permissions(
        wire, org, people):
    lock = allowed(org, people.owner).unsigned()
    reset = allowed(org, people.owner, Action.RESET_PASSCODE).unsigned()
    assert await wire.outcomes(lock, reset) == ["authorized", "integration.permission_missing"]


async def test_an_account_with_the_integration_permission_may_wipe_from_another_system(
        wire, rpc, org, people):
    role = await admin_call(rpc, org, people.admin, "create_role", name=new_id("Integration"),
                            permissions=["ssp.wipe", "ssp.integration"])
    assert role.status == 201, role
    robot = await create_user(rpc, org, people.admin, roles=[role.data["role_id"]])
    assert await wire.outcomes(allowed(org, robot, Action.WIPE).unsigned()) == ["authorized"]


async def test_a_pin_of_arabic_indic_digits_never_reaches_the_rules(wire, org, people, bootstrap):
    # What a client that skips the portal might send: six digits to `\d`, none to a Mac.
    base = allowed(org, people.owner, Action.LOCK, M.MACOS, Platform.MACOS, pin="123456")
    body = json.loads(cloudevents.to_value(base.request))
    body["params"]["pin"] = "١٢٣٤٥٦"
    async with Tail(bootstrap, dlq_name(COMMANDS_REQUESTED)) as dlq:
        await wire.producer.send_event(DEVICES, base.device)
        await wire.producer.send_raw(
            COMMANDS_REQUESTED, json.dumps(body).encode(), key=base.request.device_id,
            headers=cloudevents.to_headers(base.request, source="tests"))
        [refused] = await dlq.wait_for(
            lambda r: json_of(r)["command_id"] == base.request.command_id)
    assert headers_of(refused)["dlq_error_type"] == "ContractViolation"
    assert not [r for r in wire.tails[COMMANDS_STATUS].seen
                if json_of(r)["command_id"] == base.request.command_id]
