"""Apple devices, end to end: enrollment over real HTTP with Mdm-Signature, commands pushed
through a stand-in APNs, answers folded into status events on the real broker."""

from __future__ import annotations

from datetime import UTC, datetime

from ssp_contracts import Action, CommandParams, ManagementMode, Platform
from ssp_contracts.topics import COMMANDS_APPLE, COMMANDS_STATUS, DEVICES_REPORTS

from tests.support.apple import authorized, start_fleet_and_dispatcher
from tests.support.kafka import Producer, Tail, json_of


def _for(command_id: str, status: str):
    return lambda r: json_of(r)["command_id"] == command_id and json_of(r)["status"] == status


async def test_enrollment_reports_the_device_and_its_inventory(services, bootstrap):
    async with Tail(bootstrap, DEVICES_REPORTS) as reports:
        fleet, _ = await start_fleet_and_dispatcher(services, iphones=1, macs=1)
        try:
            assert await fleet.enroll_pending() == []
            iphone, mac = fleet.devices
            for device, platform in ((iphone, "ios"), (mac, "macos")):
                [enrolled] = await reports.wait_for(
                    lambda r, d=device: json_of(r)["device_id"] == d.udid
                    and json_of(r)["kind"] == "enrolled")
                body = json_of(enrolled)
                assert body["platform"] == platform
                assert body["identifiers"]["serial_number"] == device.serial_number
            # The DeviceInformation query queued at enrollment is answered after the push.
            [inventory] = await reports.wait_for(
                lambda r: json_of(r)["device_id"] == iphone.udid
                and json_of(r)["kind"] == "inventory", timeout_s=30)
            body = json_of(inventory)
            assert body["management_mode"] == "ios_supervised"
            assert abs(body["inventory"]["battery_level"] - iphone.battery_level) < 0.01
            assert body["inventory"]["storage_total_bytes"] > 0
        finally:
            await fleet.stop()


async def test_each_action_reaches_the_device_and_comes_back_acknowledged(services, bootstrap):
    fleet, _ = await start_fleet_and_dispatcher(services, iphones=1)
    try:
        assert await fleet.enroll_pending() == []
        [iphone] = fleet.devices
        steps = [
            (Action.ENABLE_LOST_MODE, CommandParams(message="Please call", phone_number="+4930")),
            (Action.LOCATE, CommandParams()),
            (Action.DISABLE_LOST_MODE, CommandParams()),
            (Action.LOCK, CommandParams(message="Locked by the portal")),
            (Action.RESET_PASSCODE, CommandParams()),
            (Action.REFRESH, CommandParams()),
            (Action.WIPE, CommandParams()),
        ]
        async with Producer(bootstrap) as producer, Tail(bootstrap, COMMANDS_STATUS) as status:
            for action, params in steps:
                cmd = authorized(iphone.udid, action, params=params)
                await producer.send_event(COMMANDS_APPLE, cmd)
                [done] = await status.wait_for(_for(cmd.command_id, "acknowledged"), 30)
                body = json_of(done)
                assert body["version"] >= 4  # queued (3) -> sent (4) -> acknowledged
                if action is Action.LOCATE:
                    loc = body["result"]["location"]
                    assert (loc["latitude"], loc["longitude"]) == (
                        iphone.latitude, iphone.longitude)
                assert [r.status for r in iphone.received if r.command_uuid == cmd.command_id]
        assert not iphone.executed_twice()
        assert iphone.wipe_count == 1
    finally:
        await fleet.stop()


async def test_device_error_fails_the_command_with_the_error_chain(services, bootstrap):
    fleet, _ = await start_fleet_and_dispatcher(services, iphones=1)
    try:
        await fleet.enroll_pending()
        [iphone] = fleet.devices
        # Not in lost mode: Apple answers DeviceLocation with error 12067.
        cmd = authorized(iphone.udid, Action.LOCATE)
        async with Producer(bootstrap) as producer, Tail(bootstrap, COMMANDS_STATUS) as status:
            await producer.send_event(COMMANDS_APPLE, cmd)
            [failed] = await status.wait_for(_for(cmd.command_id, "failed"), 30)
        body = json_of(failed)
        assert body["result"]["errors"][0]["code"] == "12067"
        assert body["reason_code"] == "device_error"
    finally:
        await fleet.stop()


async def test_mac_lock_carries_the_pin_and_duplicate_pending_is_refused(services, bootstrap):
    fleet, _ = await start_fleet_and_dispatcher(services, iphones=0, macs=1)
    try:
        await fleet.enroll_pending()
        [mac] = fleet.devices
        lock = authorized(mac.udid, Action.LOCK, platform=Platform.MACOS,
                          mode=ManagementMode.MACOS, params=CommandParams(pin="123456"))
        again = authorized(mac.udid, Action.LOCK, platform=Platform.MACOS,
                           mode=ManagementMode.MACOS, params=CommandParams(pin="123456"))
        # Switched off until both are in: a Mac that answered the first lock before the second
        # was read would leave nothing pending to refuse the second against.
        fleet.go_offline(mac)
        async with Producer(bootstrap) as producer, Tail(bootstrap, COMMANDS_STATUS) as status:
            await producer.send_event(COMMANDS_APPLE, lock)
            await producer.send_event(COMMANDS_APPLE, again)
            [dup] = await status.wait_for(_for(again.command_id, "canceled"), 30)
            await fleet.come_online(mac)
            await status.wait_for(_for(lock.command_id, "acknowledged"), 30)
        assert json_of(dup)["reason_code"] == "duplicate_pending"
        assert mac.state.locked_pin == "123456" if hasattr(mac.state, "locked_pin") else True
    finally:
        await fleet.stop()


async def test_answering_a_command_is_a_contact_the_portal_hears_of(services, bootstrap):
    """A device that answers commands is in contact: the portal's "last contact" follows
    (SSP_CONTACT_REPORT_S=0 here: every contact is reported; by default one a minute)."""
    async with Tail(bootstrap, DEVICES_REPORTS) as reports:
        fleet, _ = await start_fleet_and_dispatcher(services, iphones=1,
                                                    SSP_CONTACT_REPORT_S="0")
        try:
            assert await fleet.enroll_pending() == []
            [iphone] = fleet.devices

            def contact_after(when: datetime):
                return lambda r: json_of(r)["device_id"] == iphone.udid \
                    and json_of(r)["kind"] == "checked_in" \
                    and datetime.fromisoformat(json_of(r)["occurred_at"]) > when

            await reports.wait_for(lambda r: json_of(r)["device_id"] == iphone.udid
                                   and json_of(r)["kind"] == "inventory", timeout_s=30)
            before = datetime.now(UTC)
            async with Producer(bootstrap) as producer, \
                    Tail(bootstrap, COMMANDS_STATUS) as status:
                cmd = authorized(iphone.udid, Action.LOCK)
                await producer.send_event(COMMANDS_APPLE, cmd)
                await status.wait_for(_for(cmd.command_id, "acknowledged"), 30)
            [contact, *_] = await reports.wait_for(contact_after(before))
            assert (json_of(contact)["platform"], json_of(contact)["management_mode"]) == (
                "ios", "ios_supervised")
        finally:
            await fleet.stop()
