"""How the authorizer copes with what Kafka delivers: redelivered requests, reordered and
deleted device snapshots, records that are not a CommandRequested at all."""

from __future__ import annotations

from ssp_contracts.devices import DeviceOwner
from ssp_contracts.enums import Action, LinkSource
from ssp_contracts.topics import (
    COMMANDS_APPLE,
    COMMANDS_REQUESTED,
    COMMANDS_STATUS,
    DEVICES,
    dlq_name,
)

from tests.integration import test_permission_authorizer as authorizer
from tests.integration import test_permission_harness as harness
from tests.integration.test_permission_authorizer import Case, allowed
from tests.integration.test_permission_harness import new_id
from tests.support.kafka import Tail, headers_of, json_of

# Fixtures of the shared harness, bound here so pytest finds them for this module.
database = harness.database
org = harness.org
permission_service = harness.permission_service
rpc = harness.rpc
people = authorizer.people
wire = authorizer.wire


async def test_a_redelivered_request_gets_no_second_decision(wire, org, people):
    case = allowed(org, people.owner)
    assert await wire.outcomes(case) == ["authorized"]
    # The same record again, then a marker on the same device (same partition, so handled
    # after it): once the marker is decided, the duplicate has been handled too. Another
    # action: a second lock would be refused while the first is pending (command.pending).
    await wire.producer.send_event(COMMANDS_REQUESTED, case.request)
    marker = Case(None, case.request.model_copy(update={"command_id": new_id("cmd"),
                                                         "action": Action.REFRESH}))
    await wire.producer.send_event(COMMANDS_REQUESTED, marker.request)
    for command in (case, marker):
        for topic in (COMMANDS_STATUS, COMMANDS_APPLE):
            await wire.tails[topic].wait_for(
                lambda r, c=command: json_of(r)["command_id"] == c.request.command_id)
    for topic in (COMMANDS_STATUS, COMMANDS_APPLE):
        assert len([r for r in wire.tails[topic].seen
                    if json_of(r)["command_id"] == case.request.command_id]) == 1


async def test_an_older_snapshot_arriving_late_changes_nothing(wire, org, people):
    case = allowed(org, people.owner)
    assert case.device is not None
    newer = case.device.model_copy(update={"version": 5, "owner": DeviceOwner(
        user_id=people.reader, linked_at=case.device.owner.linked_at, source=LinkSource.CSV)})
    await wire.producer.send_event(DEVICES, newer)  # relinked to someone else (v5)...
    await wire.producer.send_event(DEVICES, case.device)  # ...then the stale v1 again
    await wire.producer.send_event(COMMANDS_REQUESTED, case.request)
    assert (await wire.decided(case))["reason_code"] == "device.not_owned"


async def test_a_tombstone_deletes_the_device(wire, org, people):
    case = allowed(org, people.owner)
    assert await wire.outcomes(case) == ["authorized"]
    await wire.producer.send_raw(DEVICES, None, key=case.request.device_id)
    again = Case(None, case.request.model_copy(update={"command_id": new_id("cmd")}))
    assert await wire.outcomes(again) == ["device.unknown"]


async def test_a_malformed_request_goes_to_the_dead_letter_topic(wire, bootstrap, org):
    key = new_id("dev")
    async with Tail(bootstrap, dlq_name(COMMANDS_REQUESTED)) as dlq:
        await wire.producer.send_raw(
            COMMANDS_REQUESTED, b'{"command_id": "cmd-1", "action": "self_destruct"}', key=key,
            headers={"ce_type": "ssp.command.requested.v1"})
        [record] = await dlq.wait_for(lambda r: r.key == key.encode())
    assert headers_of(record)["dlq_error_type"] == "ContractViolation"
    assert headers_of(record)["dlq_consumer_group"] == "permission-service.ssp.commands.requested"
    # The consumer keeps going: the next good request is decided.
    assert await wire.outcomes(allowed(org, new_id("u"))) == ["requester.unknown"]
