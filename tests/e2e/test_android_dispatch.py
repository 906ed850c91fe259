"""Android devices, end to end: a dispatcher process syncs a simulated AMAPI enterprise, issues
commands through it over real HTTP, polls their operations and publishes every status on the
real broker."""

from __future__ import annotations

import asyncio
import base64

from nacl.public import PrivateKey
from ssp_contracts import Action, CommandParams, ManagementMode, Platform
from ssp_contracts.topics import COMMANDS_ANDROID, COMMANDS_STATUS, DEVICES_REPORTS
from ssp_runtime.failpoints import EXIT_CODE
from ssp_runtime.sealing import demo_private_key, open_sealed
from ssp_simulators.android import DeviceKind

from tests.support.android import amapi_stand_in, android_id, start_dispatcher
from tests.support.apple import authorized
from tests.support.kafka import Producer, Tail, json_of
from tests.support.secrets import assert_nowhere_in_clear

MODE = {DeviceKind.FULLY_MANAGED: ManagementMode.ANDROID_FULLY_MANAGED,
        DeviceKind.WORK_PROFILE_PERSONAL: ManagementMode.ANDROID_WORK_PROFILE_PERSONAL,
        DeviceKind.WORK_PROFILE_COMPANY: ManagementMode.ANDROID_WORK_PROFILE_COMPANY}
LOST = CommandParams(message="Please call", phone_number="+49 30 1234")
COMPANY_OWNED = [(Action.ENABLE_LOST_MODE, LOST), (Action.DISABLE_LOST_MODE, None),
                 (Action.LOCK, None), (Action.RESET_PASSCODE, None), (Action.REFRESH, None),
                 (Action.WIPE, None)]
ACTIONS = {DeviceKind.FULLY_MANAGED: COMPANY_OWNED, DeviceKind.WORK_PROFILE_COMPANY: COMPANY_OWNED,
           DeviceKind.WORK_PROFILE_PERSONAL: [(Action.LOCK, None), (Action.RESET_PASSCODE, None),
                                              (Action.REFRESH, None), (Action.WIPE, None)]}


def _status(command_id: str, status: str):
    return lambda r: json_of(r)["command_id"] == command_id and json_of(r)["status"] == status


def _report(device_id: str, kind: str):
    return lambda r: json_of(r)["device_id"] == device_id and json_of(r)["kind"] == kind


def _command(device, action: Action, params: CommandParams | None = None):
    return authorized(android_id(device.name), action, platform=Platform.ANDROID,
                      mode=MODE[device.kind], params=params)


async def test_every_action_on_every_mode_is_acknowledged(services, bootstrap):
    async with amapi_stand_in(3) as amapi, Producer(bootstrap) as producer, \
            Tail(bootstrap, COMMANDS_STATUS) as status, Tail(bootstrap, DEVICES_REPORTS) as reports:
        await start_dispatcher(services, amapi)
        devices = list(amapi.state.devices.values())
        for device in devices:
            [enrolled] = await reports.wait_for(_report(android_id(device.name), "enrolled"))
            assert json_of(enrolled)["management_mode"] == MODE[device.kind].value
        for step in range(max(len(steps) for steps in ACTIONS.values())):
            # One action per device at a time, all devices at once.
            sent = {}
            for device in devices:
                if step < len(ACTIONS[device.kind]):
                    action, params = ACTIONS[device.kind][step]
                    sent[device.name] = cmd = _command(device, action, params)
                    await producer.send_event(COMMANDS_ANDROID, cmd)
            for name, cmd in sent.items():
                [done] = await status.wait_for(_status(cmd.command_id, "acknowledged"), 30)
                result = json_of(done)["result"] or {}
                device = amapi.state.devices.get(name) or amapi.state.removed[name]
                if cmd.action is Action.ENABLE_LOST_MODE:
                    assert result["inventory"] == {"lost_mode": True}
                if cmd.action is Action.RESET_PASSCODE:
                    code = open_sealed(result["sealed_secret"], demo_private_key())
                    assert code == device.password
                if cmd.action is Action.REFRESH:
                    assert result["inventory"]["model"] == device.model
                    await reports.wait_for(_report(android_id(name), "inventory"))
        for device in devices:
            done = [e.command_type for e in amapi.state.effects[device.name]]
            expected = [{"ENABLE_LOST_MODE": "START_LOST_MODE", "DISABLE_LOST_MODE":
                         "STOP_LOST_MODE", "RESET_PASSCODE": "RESET_PASSWORD"}.get(
                             a.name, a.name) for a, _ in ACTIONS[device.kind]
                        if a is not Action.REFRESH]
            assert done == expected  # each ran once, in order
            assert device.name in amapi.state.removed
            await reports.wait_for(_report(android_id(device.name), "unenrolled"))


async def test_lost_mode_on_a_personal_work_profile_fails_with_googles_reason(
        services, bootstrap):
    async with amapi_stand_in(2) as amapi, Producer(bootstrap) as producer, \
            Tail(bootstrap, COMMANDS_STATUS) as status, Tail(bootstrap, DEVICES_REPORTS) as reports:
        await start_dispatcher(services, amapi, SSP_ANDROID_WIPE_VIA_DELETE="true")
        personal = next(d for d in amapi.state.devices.values()
                        if d.kind is DeviceKind.WORK_PROFILE_PERSONAL)
        await reports.wait_for(_report(android_id(personal.name), "enrolled"))
        lost = _command(personal, Action.ENABLE_LOST_MODE, LOST)
        locate = _command(personal, Action.LOCATE)
        for cmd in (lost, locate):
            await producer.send_event(COMMANDS_ANDROID, cmd)
        [failed] = await status.wait_for(_status(lost.command_id, "failed"), 30)
        body = json_of(failed)
        assert body["reason_code"] == "amapi.management_mode"
        assert body["reason"] == "The way this device is managed does not allow this command."
        assert body["result"]["errors"][0]["code"] == "MANAGEMENT_MODE"
        [refused] = await status.wait_for(_status(locate.command_id, "failed"), 30)
        assert json_of(refused)["reason_code"] == "unsupported.locate_android"
        # The setting's other wipe: devices.delete.
        wipe = _command(personal, Action.WIPE)
        await producer.send_event(COMMANDS_ANDROID, wipe)
        [accepted] = await status.wait_for(_status(wipe.command_id, "acknowledged"), 30)
        assert [e.command_type for e in amapi.state.effects[personal.name]] == [
            "START_LOST_MODE", "DELETE"]
        await _followed_until_gone(accepted, reports, personal)


async def _followed_until_gone(accepted, reports: Tail, device) -> None:
    """Issue 18, item 12: "with the wipe-via-delete setting, a wipe is `acknowledged` when
    Google accepts the delete, not when the device wipes: say so in the status
    (`accepted_by_google`) and follow the device's disappearance." AMAPI discovery document,
    enterprises.devices.delete: "Deletes a device. This operation attempts to wipe the device
    but this is not guaranteed to succeed if the device is offline for an extended period.
    Deleted devices do not show up in enterprises.devices.list calls and a 404 is returned
    from enterprises.devices.get." The device sync, not the delete, reports it unenrolled."""
    body = json_of(accepted)
    assert body["result"]["platform_status"] == "accepted_by_google"
    assert body["reason"].startswith("Google accepted the deletion")
    [gone] = await reports.wait_for(_report(android_id(device.name), "unenrolled"))
    assert json_of(gone)["occurred_at"] >= body["occurred_at"]


async def test_quota_exhaustion_is_retried_until_acknowledged(services, bootstrap):
    async with amapi_stand_in(1, delay_s=0.1, quota=3, quota_window_s=3) as amapi, \
            Producer(bootstrap) as producer, Tail(bootstrap, COMMANDS_STATUS) as status, \
            Tail(bootstrap, DEVICES_REPORTS) as reports:
        dispatcher = await start_dispatcher(services, amapi, SSP_ANDROID_SYNC_INTERVAL_S="600")
        [device] = amapi.state.devices.values()
        await reports.wait_for(_report(android_id(device.name), "enrolled"))
        await amapi.exhaust_quota()
        refused_before = amapi.statuses.count(429)
        lock = _command(device, Action.LOCK)
        await producer.send_event(COMMANDS_ANDROID, lock)
        await status.wait_for(_status(lock.command_id, "acknowledged"), 45)
        assert device.lock_count == 1
        assert amapi.statuses.count(429) > refused_before
        assert "AMAPI call will be retried" in dispatcher.log_path.read_text()


async def test_one_time_passcode_is_sealed_and_never_in_clear(services, bootstrap, mongo,
                                                              run_id):
    gateway = PrivateKey.generate()
    async with amapi_stand_in(1) as amapi, Producer(bootstrap) as producer, \
            Tail(bootstrap, COMMANDS_STATUS) as status, Tail(bootstrap, DEVICES_REPORTS) as reports:
        public_key = base64.b64encode(bytes(gateway.public_key)).decode()
        dispatcher = await start_dispatcher(services, amapi, SSP_GATEWAY_PUBLIC_KEY=public_key)
        [device] = amapi.state.devices.values()
        await reports.wait_for(_report(android_id(device.name), "enrolled"))
        reset = _command(device, Action.RESET_PASSCODE)
        await producer.send_event(COMMANDS_ANDROID, reset)
        [done] = await status.wait_for(_status(reset.command_id, "acknowledged"), 30)
        sealed = json_of(done)["result"]["sealed_secret"]
        assert open_sealed(sealed, bytes(gateway)) == device.password
        await assert_nowhere_in_clear(device.password, records=status.seen + reports.seen,
                                      mongo=mongo, run_id=run_id, log=dispatcher.log_path)


async def test_a_restarted_dispatcher_resumes_polling_sent_commands(services, bootstrap):
    async with amapi_stand_in(1, delay_s=4) as amapi, Producer(bootstrap) as producer, \
            Tail(bootstrap, COMMANDS_STATUS) as status, Tail(bootstrap, DEVICES_REPORTS) as reports:
        first = await start_dispatcher(services, amapi)
        [device] = amapi.state.devices.values()
        await reports.wait_for(_report(android_id(device.name), "enrolled"))
        lock = _command(device, Action.LOCK)
        await producer.send_event(COMMANDS_ANDROID, lock)
        await status.wait_for(_status(lock.command_id, "sent"), 30)
        first.kill()  # its poller dies with it; only the operation name on the command remains
        second = await start_dispatcher(services, amapi)
        await status.wait_for(_status(lock.command_id, "acknowledged"), 30)
        assert device.lock_count == 1
        assert "resumed polling android commands" in second.log_path.read_text()


async def test_a_command_queued_when_the_dispatcher_died_is_issued_after_the_restart(
        services, bootstrap):
    """Stored `queued`, its delivery task gone before Google heard of it: the redelivered
    request finds it stored and does nothing, so only the restarted dispatcher's resume job
    can still issue it (else it sat `queued` until its TTL: the lost lock of the fault run)."""
    async with amapi_stand_in(1) as amapi, Producer(bootstrap) as producer, \
            Tail(bootstrap, COMMANDS_STATUS) as status, Tail(bootstrap, DEVICES_REPORTS) as reports:
        [device] = amapi.state.devices.values()
        lock = _command(device, Action.LOCK)
        first = await start_dispatcher(
            services, amapi, SSP_FAILPOINTS=f"android.before_issue@{lock.command_id}")
        await reports.wait_for(_report(android_id(device.name), "enrolled"))
        await producer.send_event(COMMANDS_ANDROID, lock)
        assert await asyncio.to_thread(first.wait_exit, 30) == EXIT_CODE  # stored, not issued
        await start_dispatcher(services, amapi)
        await status.wait_for(_status(lock.command_id, "acknowledged"), 30)
        assert device.lock_count == 1


async def test_a_command_whose_dispatcher_died_mid_issue_fails_as_unknown_not_twice(
        services, bootstrap):
    """Claimed for issuing, then the process died: Google may have it already, so the restarted
    dispatcher does not issue it again but ends it failed, saying why, once the claim runs out."""
    async with amapi_stand_in(1) as amapi, Producer(bootstrap) as producer, \
            Tail(bootstrap, COMMANDS_STATUS) as status, Tail(bootstrap, DEVICES_REPORTS) as reports:
        [device] = amapi.state.devices.values()
        lock = _command(device, Action.LOCK)
        first = await start_dispatcher(
            services, amapi, SSP_FAILPOINTS=f"android.after_claim@{lock.command_id}",
            SSP_ANDROID_ISSUE_LEASE_S="2")
        await reports.wait_for(_report(android_id(device.name), "enrolled"))
        await producer.send_event(COMMANDS_ANDROID, lock)
        assert await asyncio.to_thread(first.wait_exit, 30) == EXIT_CODE
        await start_dispatcher(services, amapi)
        [failed] = await status.wait_for(_status(lock.command_id, "failed"), 30)
        assert json_of(failed)["reason_code"] == "android.delivery_unknown"
        assert device.lock_count == 0
