"""The foundation's guarantees, proven with a real service process, broker and database:
a crash between the database write and the publish loses nothing and publishes once; a record
that breaks its contract goes to the dead-letter topic and the consumer keeps going."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime

from ssp_contracts import DeviceReported, DeviceReportKind, ManagementMode, Platform
from ssp_contracts.topics import DEVICES, DEVICES_REPORTS
from ssp_runtime.failpoints import EXIT_CODE

from tests.conftest import database_name
from tests.support.kafka import Producer, Tail, headers_of, json_of
from tests.support.waiting import eventually


def enrolled(device_id: str, serial: str = "C02TEST") -> DeviceReported:
    return DeviceReported(
        org_id="acme", report_id=str(uuid.uuid4()), device_id=device_id,
        kind=DeviceReportKind.ENROLLED, platform=Platform.IOS,
        management_mode=ManagementMode.IOS_SUPERVISED,
        identifiers={"serial_number": serial, "udid": device_id},
        inventory={"name": "Test iPhone", "battery_level": 0.5},
        occurred_at=datetime.now(UTC))


async def test_crash_after_write_before_publish_publishes_once_after_restart(
        services, mongo, bootstrap, run_id):
    device_id = f"dev-{run_id}"
    devices = mongo[database_name(run_id, "device_registry")]["devices"]
    async with Tail(bootstrap, DEVICES) as snapshots, Producer(bootstrap) as producer:
        crashing = services("device_registry", SSP_FAILPOINTS=f"outbox.before_publish@{device_id}")
        await producer.send_event(DEVICES_REPORTS, enrolled(device_id))
        assert await asyncio.to_thread(crashing.wait_exit, 60) == EXIT_CODE

        stored = await devices.find_one({"_id": device_id})
        assert stored is not None and len(stored["_outbox"]) == 1, "state and event written"
        await snapshots.poll(1.0)
        assert not [r for r in snapshots.seen if r.key == device_id.encode()], "nothing sent"

        services("device_registry")  # restart, no failpoint
        [snap] = await snapshots.wait_for(lambda r: r.key == device_id.encode(), timeout_s=30)
        assert json_of(snap)["version"] == 1 and json_of(snap)["name"] == "Test iPhone"
        assert headers_of(snap)["ce_type"] == "ssp.device.snapshot.v1"

        async def outbox_empty():
            doc = await devices.find_one({"_id": device_id})
            return doc is not None and doc["_outbox"] == []

        await eventually(outbox_empty, what="outbox drained")
        for _ in range(10):  # the redelivered report changes nothing: still exactly one
            await snapshots.poll(0.2)
        assert len([r for r in snapshots.seen if r.key == device_id.encode()]) == 1


async def test_invalid_record_goes_to_dlq_and_the_consumer_keeps_going(
        services, bootstrap, run_id):
    device_id = f"dev-{run_id}"
    services("device_registry")
    async with Tail(bootstrap, DEVICES_REPORTS + ".dlq") as dlq, \
            Tail(bootstrap, DEVICES) as snapshots, Producer(bootstrap) as producer:
        await producer.send_raw(DEVICES_REPORTS, b'{"org_id": "acme", "kind": "exploded"}',
                                key=device_id,
                                headers={"ce_type": DeviceReported.event_type, "ce_id": run_id})
        await producer.send_event(DEVICES_REPORTS, enrolled(device_id))

        [dead] = await dlq.wait_for(lambda r: r.key == device_id.encode())
        headers = headers_of(dead)
        assert dead.value == b'{"org_id": "acme", "kind": "exploded"}'
        assert headers["dlq_error_type"] == "ContractViolation"
        assert "kind" in headers["dlq_error_message"]
        assert headers["dlq_original_topic"] == DEVICES_REPORTS
        assert headers["dlq_consumer_group"] == "device-registry.ssp.devices.reports"
        assert headers["ce_id"] == run_id  # the original headers travel along
        # The valid report behind it on the same partition was still processed.
        await snapshots.wait_for(lambda r: r.key == device_id.encode())
