"""The device-registry on the real broker and database: reports become snapshots, command
results fold into state, links change owners and leave an audit record."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from ssp_contracts import (
    Action,
    CommandStatus,
    CommandStatusChanged,
    DeviceReported,
    DeviceReportKind,
    LinkRequested,
    LinkSource,
    ManagementMode,
    Platform,
    UserAccess,
)
from ssp_contracts.topics import (
    ACCESS,
    AUDIT,
    COMMANDS_STATUS,
    DEVICES,
    DEVICES_REPORTS,
    LINKS_REQUESTS,
)

from tests.support.kafka import Producer, Tail, json_of


def report(device_id: str, kind: DeviceReportKind, **inventory) -> DeviceReported:
    return DeviceReported(
        org_id="acme", report_id=str(uuid.uuid4()), device_id=device_id, kind=kind,
        platform=Platform.IOS, management_mode=ManagementMode.IOS_SUPERVISED,
        identifiers={"serial_number": f"SN{device_id[-6:]}"}, inventory=inventory,
        occurred_at=datetime.now(UTC))


def latest(tail: Tail, device_id: str) -> dict:
    return json_of([r for r in tail.seen if r.key == device_id.encode()][-1])


async def test_reports_results_and_links_shape_the_snapshot(services, bootstrap, run_id):
    device_id, user_id = f"dev-{run_id}", f"user-{run_id}"
    services("device_registry")
    mine = lambda r: r.key == device_id.encode()  # noqa: E731
    async with Producer(bootstrap) as producer, Tail(bootstrap, DEVICES) as snaps, \
            Tail(bootstrap, AUDIT) as audit:
        await producer.send_event(DEVICES_REPORTS, report(device_id, DeviceReportKind.ENROLLED,
                                                          name="Anna's iPhone"))
        await producer.send_event(DEVICES_REPORTS, report(device_id, DeviceReportKind.INVENTORY,
                                                          battery_level=0.42, os_version="18.1"))
        await snaps.wait_for(mine, count=2)
        snap = latest(snaps, device_id)
        assert (snap["version"], snap["name"], snap["battery_level"], snap["os_version"]) == (
            2, "Anna's iPhone", 0.42, "18.1")

        # A lost-mode result from the dispatcher turns lost mode on.
        await producer.send_event(COMMANDS_STATUS, CommandStatusChanged(
            org_id="acme", command_id=f"c-{run_id}", device_id=device_id,
            action=Action.ENABLE_LOST_MODE, status=CommandStatus.ACKNOWLEDGED, version=5,
            requested_by=user_id, occurred_at=datetime.now(UTC)))
        await snaps.wait_for(mine, count=3)
        assert latest(snaps, device_id)["lost_mode"] is True

        # Link to a user the registry knows from ssp.access.
        await producer.send_event(ACCESS, UserAccess(
            org_id="acme", user_id=user_id, version=1, username="anna",
            email="anna@example.com"))
        await producer.send_event(LINKS_REQUESTS, LinkRequested(
            org_id="acme", request_id=str(uuid.uuid4()), device_id=device_id, user_id=user_id,
            source=LinkSource.MANUAL, requested_by="admin-1"))
        await snaps.wait_for(mine, count=4)
        owner = latest(snaps, device_id)["owner"]
        assert (owner["user_id"], owner["username"], owner["source"]) == (user_id, "anna",
                                                                           "manual")
        [linked] = await audit.wait_for(lambda r: json_of(r).get("device_id") == device_id)
        assert json_of(linked)["action"] == "linked_device"
        assert json_of(linked)["actor"] == "admin-1"


async def test_link_for_another_orgs_user_is_refused_to_the_dlq(services, bootstrap, run_id):
    device_id, user_id = f"dev-{run_id}", f"user-{run_id}"
    services("device_registry")
    async with Producer(bootstrap) as producer, Tail(bootstrap, DEVICES) as snaps, \
            Tail(bootstrap, LINKS_REQUESTS + ".dlq") as dlq:
        await producer.send_event(DEVICES_REPORTS, report(device_id, DeviceReportKind.ENROLLED))
        await producer.send_event(ACCESS, UserAccess(org_id="other-org", user_id=user_id,
                                                     version=1, username="mallory"))
        await snaps.wait_for(lambda r: r.key == device_id.encode())
        await producer.send_event(LINKS_REQUESTS, LinkRequested(
            org_id="acme", request_id=str(uuid.uuid4()), device_id=device_id, user_id=user_id,
            source=LinkSource.MANUAL, requested_by="admin-1"))
        [dead] = await dlq.wait_for(lambda r: r.key == device_id.encode())
        assert b"unknown in acme" in dict(dead.headers)["dlq_error_message"]
        assert latest(snaps, device_id)["owner"] is None
