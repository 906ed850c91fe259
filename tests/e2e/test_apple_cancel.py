"""Canceling on the real stack: a command queued for an offline iPhone is canceled and the
device never receives it; a command already sent cannot be canceled (the refusal comes back
as the command's status) and still completes; a cancel that overtakes its command wins."""

from __future__ import annotations

from datetime import UTC, datetime

from ssp_contracts import Action, CommandAuthorized, CommandCancelRequested
from ssp_contracts.topics import COMMANDS_APPLE, COMMANDS_STATUS
from ssp_simulators.apple.session import Behaviour

from tests.e2e.test_apple_lifecycle import status_of
from tests.support.apple import authorized, start_fleet_and_dispatcher
from tests.support.kafka import Producer, Tail, json_of


def cancel_of(cmd: CommandAuthorized, by: str | None = None) -> CommandCancelRequested:
    return CommandCancelRequested(
        org_id=cmd.org_id, command_id=cmd.command_id, device_id=cmd.device_id,
        action=cmd.action, requested_by=by or cmd.requested_by, requested_at=datetime.now(UTC))


def received(iphone, command_id: str) -> list:
    return [r for r in iphone.received if r.command_uuid == command_id]


async def test_queued_is_canceled_and_never_delivered_sent_is_refused(services, bootstrap):
    # Each command takes the device 3 s: long enough to ask for a cancel while it is "sent".
    fleet, _ = await start_fleet_and_dispatcher(
        services, iphones=1, behaviour=Behaviour(latency_s=(3.0, 3.0)))
    try:
        await fleet.enroll_pending()
        [iphone] = fleet.devices
        fleet.go_offline(iphone)
        lock = authorized(iphone.udid, Action.LOCK)
        early = authorized(iphone.udid, Action.REFRESH)
        async with Producer(bootstrap) as producer, Tail(bootstrap, COMMANDS_STATUS) as status:
            await producer.send_event(COMMANDS_APPLE, lock)
            await status.wait_for(status_of(lock.command_id, "queued"), 30)
            # Someone else's cancel changes nothing. A cancel that overtakes its command (the
            # authorizer was slower) ends it before the queue; same key, so read in order:
            # once `early` is canceled, the stranger's cancel was decided too.
            await producer.send_event(COMMANDS_APPLE, cancel_of(lock, by="u-other"))
            await producer.send_event(COMMANDS_APPLE, cancel_of(early))
            await producer.send_event(COMMANDS_APPLE, early)
            [gone] = await status.wait_for(status_of(early.command_id, "canceled"), 30)
            assert json_of(gone)["version"] == 3
            assert not [r for r in status.seen if status_of(lock.command_id, "canceled")(r)]
            await producer.send_event(COMMANDS_APPLE, cancel_of(lock))
            [canceled] = await status.wait_for(status_of(lock.command_id, "canceled"), 30)
            assert json_of(canceled)["reason_code"] == "canceled_by_requester"

            await fleet.come_online(iphone)  # connects, finds nothing to do
            assert received(iphone, lock.command_id) == []
            assert received(iphone, early.command_id) == []

            second = authorized(iphone.udid, Action.LOCK)
            await producer.send_event(COMMANDS_APPLE, second)  # pushed: the device fetches it
            await status.wait_for(status_of(second.command_id, "sent"), 30)
            await producer.send_event(COMMANDS_APPLE, cancel_of(second))
            [refused] = await status.wait_for(
                lambda r: json_of(r)["command_id"] == second.command_id
                and json_of(r)["reason_code"] == "cancel_refused.sent", 30)
            assert json_of(refused)["status"] == "sent"
            await status.wait_for(status_of(second.command_id, "acknowledged"), 30)
        mine = [json_of(r) for r in status.seen
                if json_of(r)["command_id"] in {lock.command_id, early.command_id}]
        assert {e["status"] for e in mine} <= {"queued", "canceled"}
        assert not any(e["status"] == "canceled" for e in mine
                       if e["command_id"] == second.command_id)
        assert [r.status for r in received(iphone, second.command_id)] == ["Acknowledged"]
    finally:
        await fleet.stop()
