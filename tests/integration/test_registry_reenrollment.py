"""A device that enrolls again with a new identity, in the device-registry on the real broker
and database (issue 17, finding 2): after a wipe or CheckOut, whoever re-enrolls the UDID must
not inherit the owner link, unless the identity is trusted and the serial number matches (that
a reservation links only a trusted identity: test_registry_reservations)."""

from __future__ import annotations

import uuid

from ssp_contracts import LinkRequested, LinkSource
from ssp_contracts.topics import AUDIT, DEVICES_REPORTS, LINKS_REQUESTS

from tests.conftest import database_name
from tests.integration.registry_world import RegistryWorld, enrolled, registry_world
from tests.support.kafka import Producer, Tail, json_of


async def linked_device(world: RegistryWorld, producer: Producer, user_id: str,
                        serial: str) -> str:
    device_id = await world.device(serial)
    await world.snapshot(device_id)
    await producer.send_event(LINKS_REQUESTS, LinkRequested(
        org_id=world.org_id, request_id=str(uuid.uuid4()), device_id=device_id,
        user_id=user_id, source=LinkSource.MANUAL, requested_by="admin-1"))
    await world.snapshot(device_id, owner__user_id=user_id)
    return device_id


async def test_a_new_identity_drops_the_owner_unless_trusted_with_the_same_serial(
        services, bootstrap, mongo, run_id):
    """Issue 17, finding 2: "after a wipe or CheckOut, a new certificate re-enrolls the same UDID
    and keeps the previous owner link (the owner's next lost-mode message and locate go to
    whoever re-enrolled)". What to build: "A re-enrollment with a new identity after
    wipe/CheckOut starts unlinked ... unless the new identity is trusted and the serial
    matches". Unlinked, the device leaves the owner's list in the portal."""
    services("device_registry")
    async with Producer(bootstrap) as producer, Tail(bootstrap, AUDIT) as audit:
        world, snaps = await registry_world(producer, bootstrap, mongo,
                                            database_name(run_id, "device_registry"))
        alice = await world.user("alice")
        await world.users_known(alice)
        untrusted = await linked_device(world, producer, alice, "SERIAL0001")
        other_serial = await linked_device(world, producer, alice, "SERIAL0002")
        same = await linked_device(world, producer, alice, "SERIAL0003")
        for device_id, serial, trusted in ((untrusted, "SERIAL0001", False),
                                           (other_serial, "SERIAL9999", True),
                                           (same, "SERIAL0003", True)):
            await producer.send_event(DEVICES_REPORTS, enrolled(
                world.org_id, device_id, serial_number=serial).model_copy(
                    update={"identity_changed": True, "identity_trusted": trusted}))
        # Each device's first snapshot had no owner either: the one after the report counts.
        assert (await world.snapshot(untrusted, count=2, owner=None))["enrolled"] is True
        await world.snapshot(other_serial, count=2, owner=None)
        kept = await world.snapshot(same, count=3)
        assert kept["owner"]["user_id"] == alice
        # The owner's trail says why the device left them.
        [record] = await audit.wait_for(lambda r: json_of(r).get("device_id") == untrusted
                                        and json_of(r)["action"] == "unlinked_device")
        assert (json_of(record)["user_id"], json_of(record)["actor"]) == (
            alice, "system:device-registry")
        await snaps.__aexit__()

