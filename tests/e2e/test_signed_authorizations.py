"""Only a CommandAuthorized the permission-service signed reaches a device: one written straight
onto `ssp.commands.apple` without a valid signature is dead-lettered, counted and never queued."""

from __future__ import annotations

from ssp_contracts import Action
from ssp_contracts.cloudevents import to_value
from ssp_contracts.topics import COMMANDS_APPLE, COMMANDS_STATUS, dlq_name
from ssp_runtime.signing import Signer, demo_private_key

from tests.support.apple import authorized, start_fleet_and_dispatcher
from tests.support.kafka import Producer, Tail, headers_of, json_of
from tests.support.metrics import samples
from tests.support.waiting import eventually


async def test_unsigned_or_foreign_signed_authorizations_never_reach_the_device(
        services, bootstrap):
    fleet, dispatcher = await start_fleet_and_dispatcher(services, iphones=1)
    try:
        assert await fleet.enroll_pending() == []
        [iphone] = fleet.devices
        unsigned = authorized(iphone.udid, Action.LOCK, user="carol")
        foreign = authorized(iphone.udid, Action.WIPE, user="carol")
        # A valid signature of a key the dispatcher does not trust (the public demo key).
        stranger = Signer(demo_private_key("authorizations"))
        signed = authorized(iphone.udid, Action.LOCK)
        async with Producer(bootstrap) as producer, Tail(bootstrap, COMMANDS_STATUS) as status, \
                Tail(bootstrap, dlq_name(COMMANDS_APPLE)) as dlq:
            await producer.send_event(COMMANDS_APPLE, unsigned, signed=False)
            await producer.send_event(COMMANDS_APPLE, foreign, signed=False,
                                      headers=stranger.headers(foreign.event_type,
                                                               to_value(foreign)))
            await producer.send_event(COMMANDS_APPLE, signed)  # after them, same partition
            await status.wait_for(lambda r: json_of(r)["command_id"] == signed.command_id
                                  and json_of(r)["status"] == "acknowledged", 30)
            refused = await dlq.wait_for(
                lambda r: json_of(r)["command_id"] in {unsigned.command_id, foreign.command_id},
                count=2)
        assert {headers_of(r)["dlq_error_type"] for r in refused} == {"SignatureRefused"}
        forged_ids = {unsigned.command_id, foreign.command_id}
        assert not [r for r in status.seen if json_of(r)["command_id"] in forged_ids]
        assert not [r for r in iphone.received if r.command_uuid in forged_ids]
        assert [r for r in iphone.received if r.command_uuid == signed.command_id]
        assert iphone.wipe_count == 0

        async def counted() -> dict | None:
            found = await samples(dispatcher.url, "ssp_authorizations_refused_total")
            by_reason = {dict(labels)["reason"]: value for labels, value in found.items()}
            return by_reason if by_reason.get("unsigned") == 1 else None

        by_reason = await eventually(counted, 10)
        assert by_reason["unknown_key"] == 1 and by_reason["bad_signature"] == 0
    finally:
        await fleet.stop()
