"""The Apple lifecycle's harder cases, end to end: a device that says NotNow, one that never
answers (expiry), a wipe that cancels what was pending, refused identities and malformed
bodies (nothing stored), and a dispatcher killed mid-run that loses nothing."""

from __future__ import annotations

import plistlib

import httpx
from ssp_contracts import Action, CommandParams
from ssp_contracts.enums import TERMINAL_STATUSES
from ssp_contracts.topics import COMMANDS_APPLE, COMMANDS_STATUS
from ssp_simulators.apple.session import Behaviour
from ssp_simulators.apple.signing import DeviceCertificate

from tests.conftest import database_name
from tests.support.apple import authorized, start_fleet_and_dispatcher
from tests.support.kafka import Producer, Tail, json_of

TERMINAL = {s.value for s in TERMINAL_STATUSES}

CHECKIN = "application/x-apple-aspen-mdm-checkin"


def status_of(command_id: str, status: str):
    return lambda r: json_of(r)["command_id"] == command_id and json_of(r)["status"] == status


async def test_not_now_is_offered_again_until_the_device_takes_it(services, bootstrap):
    fleet, _ = await start_fleet_and_dispatcher(
        services, iphones=1, behaviour=Behaviour(not_now_probability=0.6, not_now_retry_s=0.3))
    try:
        await fleet.enroll_pending()
        [iphone] = fleet.devices
        cmd = authorized(iphone.udid, Action.LOCK)
        async with Producer(bootstrap) as producer, Tail(bootstrap, COMMANDS_STATUS) as status:
            await producer.send_event(COMMANDS_APPLE, cmd)
            await status.wait_for(status_of(cmd.command_id, "acknowledged"), 60)
        answers = [r.status for r in iphone.received if r.command_uuid == cmd.command_id]
        assert answers[-1] == "Acknowledged"
        assert [r for r in iphone.received if r.command_uuid == cmd.command_id and r.executed] \
            == [r for r in iphone.received if r.command_uuid == cmd.command_id][-1:]
    finally:
        await fleet.stop()


async def test_a_device_that_never_answers_ends_expired(services, bootstrap):
    fleet, _ = await start_fleet_and_dispatcher(
        services, iphones=1, SSP_TTL_MINUTES='{"lock": 0.02}', SSP_EXPIRY_SWEEP_S="0.5")
    try:
        await fleet.enroll_pending()
        [iphone] = fleet.devices
        await fleet.stop()  # the device is gone: no pushes reach it, it never connects
        cmd = authorized(iphone.udid, Action.LOCK)
        async with Producer(bootstrap) as producer, Tail(bootstrap, COMMANDS_STATUS) as status:
            await producer.send_event(COMMANDS_APPLE, cmd)
            [expired] = await status.wait_for(status_of(cmd.command_id, "expired"), 30)
        assert json_of(expired)["reason_code"] == "device_did_not_answer"
    finally:
        await fleet.stop()


async def test_wipe_cancels_the_commands_still_pending(services, bootstrap):
    fleet, _ = await start_fleet_and_dispatcher(services, iphones=1)
    try:
        await fleet.enroll_pending()
        [iphone] = fleet.devices
        await fleet.stop()  # queue commands while the device is away
        lock = authorized(iphone.udid, Action.LOCK)
        lost = authorized(iphone.udid, Action.ENABLE_LOST_MODE,
                          params=CommandParams(message="Please return"))
        wipe = authorized(iphone.udid, Action.WIPE)
        async with Producer(bootstrap) as producer, Tail(bootstrap, COMMANDS_STATUS) as status:
            for cmd in (lock, lost, wipe):
                await producer.send_event(COMMANDS_APPLE, cmd)
            for cmd in (lock, lost):
                [canceled] = await status.wait_for(status_of(cmd.command_id, "canceled"), 30)
                assert json_of(canceled)["reason_code"] == "superseded_by_wipe"
            await status.wait_for(status_of(wipe.command_id, "queued"), 30)
    finally:
        await fleet.stop()


async def test_bad_signatures_swapped_certificates_and_malformed_bodies_store_nothing(
        services, mongo, run_id):
    fleet, _ = await start_fleet_and_dispatcher(services, iphones=1)
    try:
        await fleet.enroll_pending()
        [iphone] = fleet.devices
        base = fleet.session(iphone)._endpoints
        db = mongo[database_name(run_id, "command_dispatcher")]
        before = await db["apple_devices"].find_one({"_id": iphone.udid})
        idle = plistlib.dumps({"UDID": iphone.udid, "Status": "Idle"})
        stranger = DeviceCertificate.create("stranger")
        async with httpx.AsyncClient() as http:
            # Another certificate for an enrolled UDID: refused (400, never 401: an Apple
            # device removes its profile on 401; see test_apple_protocol).
            r = await http.put(base.connect_url, content=idle,
                               headers={"Mdm-Signature": stranger.sign(idle)})
            assert r.status_code == 400
            # A valid signature over a different body: refused.
            r = await http.put(base.connect_url, content=idle,
                               headers={"Mdm-Signature": iphone.identity().sign(b"other")})
            assert r.status_code == 400
            # No signature at all: refused.
            assert (await http.put(base.connect_url, content=idle)).status_code == 400
            # Malformed and entity-laden bodies: 400, signed by the real device.
            for body in (b"not a plist", b'<?xml version="1.0"?><!DOCTYPE plist [<!ENTITY a '
                         b'"aaaa">]><plist><dict><key>UDID</key><string>&a;</string></dict>'
                         b"</plist>"):
                r = await http.put(base.checkin_url, content=body, headers={
                    "Mdm-Signature": iphone.identity().sign(body), "Content-Type": CHECKIN})
                assert r.status_code == 400, body
            # Oversized: refused before parsing.
            huge = b"x" * (1024 * 1024 + 1)
            r = await http.put(base.connect_url, content=huge,
                               headers={"Mdm-Signature": iphone.identity().sign(b"x")})
            assert r.status_code == 413
        after = await db["apple_devices"].find_one({"_id": iphone.udid})
        assert after["fingerprint"] == before["fingerprint"]
        assert await db["apple_devices"].count_documents({}) == 1
        assert await db["commands"].count_documents({"device_id": iphone.udid}) == 1  # inventory
    finally:
        await fleet.stop()


async def test_dispatcher_killed_mid_run_loses_nothing(services, bootstrap):
    fleet, dispatcher = await start_fleet_and_dispatcher(services, iphones=3)
    try:
        async with Producer(bootstrap) as producer, Tail(bootstrap, COMMANDS_STATUS) as status:
            await fleet.enroll_pending()
            # Enrollment queues an inventory refresh per device; a REFRESH sent while it is
            # still pending is (rightly) canceled as a duplicate, so let those finish first.
            await status.wait_for(lambda r: json_of(r)["command_id"].startswith("inv-")
                                  and json_of(r)["status"] == "acknowledged", 60, count=3)
            commands = [authorized(d.udid, action) for d in fleet.devices
                        for action in (Action.LOCK, Action.REFRESH)]
            for cmd in commands[:3]:
                await producer.send_event(COMMANDS_APPLE, cmd)
            dispatcher.kill()
            for cmd in commands[3:]:  # published while no dispatcher runs
                await producer.send_event(COMMANDS_APPLE, cmd)
            env = {k: v for k, v in dispatcher.env.items()
                   if k not in ("KAFKA_BOOTSTRAP_SERVERS", "MONGODB_URL", "SSP_MONGODB_DATABASE")}
            # Same database and device port; pushes repeat every 5 s so a push that reached a
            # device while nobody answered its connect is soon followed by another.
            services("command_dispatcher", **{**env, "SSP_APPLE_REPUSH_S": "5"})
            for cmd in commands:
                terminal = await status.wait_for(
                    lambda r, c=cmd: json_of(r)["command_id"] == c.command_id
                    and json_of(r)["status"] in TERMINAL, 120)
                assert json_of(terminal[0])["status"] == "acknowledged", json_of(terminal[0])
            for _ in range(5):
                await status.poll(0.2)
        # Exactly one terminal status per command: nothing lost, nothing decided twice.
        for cmd in commands:
            finals = [r for r in status.seen if json_of(r)["command_id"] == cmd.command_id
                      and json_of(r)["status"] in TERMINAL]
            assert len(finals) == 1, cmd.action
        # A command whose answer died with the dispatcher is sent again (Apple's protocol has
        # no other way to learn its fate), so only a command in flight at the kill may have
        # run twice on its device.
        twice = {cid for device in fleet.devices for cid in device.executed_twice()}
        assert len(twice) <= 1
    finally:
        await fleet.stop()
