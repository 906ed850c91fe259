"""Requesting commands: 202 and CommandRequested on Kafka, Idempotency-Key, 409 pending, CSRF."""

from __future__ import annotations

import uuid

from ssp_contracts.topics import COMMANDS_REQUESTED, COMMANDS_STATUS

from tests.gateway.test_live_status import status
from tests.support.kafka import Tail, headers_of, json_of
from tests.support.waiting import eventually


async def test_command_is_published_keyed_by_device_with_its_fields(world, bootstrap):
    alice = await world.user()
    phone = await world.device(alice)
    b = await world.browser(alice)
    await world.sees_device(b, phone.device_id)
    async with Tail(bootstrap, COMMANDS_REQUESTED) as tail:
        resp = await b.command(phone.device_id, "enable_lost_mode",
                               {"message": "Please call me", "phone_number": "+49 30 1234"})
        assert resp.status_code == 202, resp.text
        command_id = resp.json()["command_id"]
        assert resp.json()["status"] == "requested"
        [record] = await tail.wait_for(lambda r: r.key == phone.device_id.encode())
    event = json_of(record)
    assert event["command_id"] == command_id
    assert event["device_id"] == phone.device_id and event["org_id"] == world.org_id
    assert event["action"] == "enable_lost_mode"
    assert event["requested_by"] == alice.user_id
    assert event["params"]["message"] == "Please call me"
    assert event["params"]["phone_number"] == "+49 30 1234"
    assert headers_of(record)["ce_type"] == "ssp.command.requested.v1"
    # The command shows up as requested, for the device and by id.
    listed = (await b.http.get(f"/api/v1/devices/{phone.device_id}/commands")).json()["items"]
    assert [c["command_id"] for c in listed] == [command_id]
    got = await b.http.get(f"/api/v1/commands/{command_id}")
    assert got.status_code == 200 and got.json()["status"] == "requested"


async def test_params_are_validated_per_action_and_platform(world):
    alice = await world.user()
    phone = await world.device(alice)
    mac = await world.device(alice, mode="macos")
    b = await world.browser(alice)
    await world.sees_device(b, phone.device_id)
    await world.sees_device(b, mac.device_id)
    resp = await b.command(phone.device_id, "enable_lost_mode", {"footnote": "only this"})
    assert resp.status_code == 422
    assert resp.json()["problems"][0]["code"] == "params.message_or_phone_required"
    resp = await b.command(mac.device_id, "lock")
    assert resp.status_code == 422 and resp.json()["problems"][0]["field"] == "params.pin"
    resp = await b.command(mac.device_id, "lock", {"pin": "12345"})
    assert resp.status_code == 422  # contract pattern: 6 digits
    # ASCII digits only: Arabic-Indic or full-width digits are digits to `\d`, not to a Mac.
    for pin in ("١٢٣٤٥٦", "\uff11\uff12\uff13\uff14\uff15\uff16"):
        resp = await b.command(mac.device_id, "lock", {"pin": pin})
        assert resp.status_code == 422, resp.text
    resp = await b.command(mac.device_id, "enable_lost_mode", {"message": "x"})
    assert resp.status_code == 409 and resp.json()["reason_code"] == "unsupported.lost_mode_macos"
    resp = await b.command(mac.device_id, "lock", {"pin": "123456"})
    assert resp.status_code == 202


async def test_a_mac_pin_is_required_only_where_the_model_needs_it(world, bootstrap):
    """Apple's schema (mdm/commands/device.lock.yaml, device.erase.yaml): "key: PIN ...
    presence: optional ... The six-character PIN for Find My". A Mac with Apple silicon locks
    and erases without one; a 2017 Intel Mac (no T2) needs it for its firmware lock."""
    alice = await world.user()
    m1 = await world.device(alice, mode="macos", model="Mac (Mac14,2)")
    old = await world.device(alice, mode="macos", model="MacBookPro14,1")
    b = await world.browser(alice)
    for mac in (m1, old):
        await world.sees_device(b, mac.device_id)
    resp = await b.command(old.device_id, "lock")
    assert resp.status_code == 422, resp.text
    assert resp.json()["problems"][0]["code"] == "params.pin_required"
    async with Tail(bootstrap, COMMANDS_REQUESTED) as tail:
        resp = await b.command(m1.device_id, "lock")
        assert resp.status_code == 202, resp.text
        [record] = await tail.wait_for(lambda r: r.key == m1.device_id.encode())
    assert json_of(record)["params"].get("pin") is None


async def test_missing_permission_is_403(world):
    viewer = await world.user(permissions=["ssp.view"])
    phone = await world.device(viewer)
    b = await world.browser(viewer)
    await world.sees_device(b, phone.device_id)
    resp = await b.command(phone.device_id, "lock")
    assert resp.status_code == 403 and resp.json()["code"] == "action.not_permitted"


async def test_same_idempotency_key_gives_same_command_and_one_event(world, bootstrap):
    alice = await world.user()
    phone = await world.device(alice)
    b = await world.browser(alice)
    await world.sees_device(b, phone.device_id)
    key = uuid.uuid4().hex
    async with Tail(bootstrap, COMMANDS_REQUESTED) as tail:
        first = await b.command(phone.device_id, "lock", headers={"Idempotency-Key": key})
        again = await b.command(phone.device_id, "lock", headers={"Idempotency-Key": key})
        assert first.status_code == again.status_code == 202
        assert first.json()["command_id"] == again.json()["command_id"]
        # Another action as a marker: once it arrived, a second lock would have too.
        marker = await b.command(phone.device_id, "refresh")
        await tail.wait_for(lambda r: json_of(r)["command_id"] == marker.json()["command_id"])
    locks = [r for r in tail.seen if r.key == phone.device_id.encode()
             and json_of(r)["action"] == "lock"]
    assert len(locks) == 1
    reused = await b.command(phone.device_id, "refresh", headers={"Idempotency-Key": key})
    assert reused.status_code == 422
    assert reused.json()["problems"][0]["code"] == "idempotency.key_reused"


async def test_identical_pending_action_is_409_with_the_pending_id(world):
    alice = await world.user()
    phone = await world.device(alice)
    b = await world.browser(alice)
    await world.sees_device(b, phone.device_id)
    first = await b.command(phone.device_id, "lock")
    assert first.status_code == 202
    second = await b.command(phone.device_id, "lock")
    assert second.status_code == 409
    assert second.json()["code"] == "command.pending"
    assert second.json()["command_id"] == first.json()["command_id"]
    other = await b.command(phone.device_id, "refresh")
    assert other.status_code == 202  # a different action is not blocked


async def test_unsafe_requests_need_the_csrf_token(world):
    alice = await world.user()
    phone = await world.device(alice)
    b = await world.browser(alice)
    await world.sees_device(b, phone.device_id)
    url = f"/api/v1/devices/{phone.device_id}/commands"
    missing = await b.http.post(url, json={"action": "lock"})
    wrong = await b.http.post(url, json={"action": "lock"}, headers={"X-CSRF-Token": "nope"})
    for resp in (missing, wrong):
        assert resp.status_code == 403 and resp.json()["code"] == "csrf.invalid"
    assert (await b.http.delete("/api/v1/session")).status_code == 403
    assert (await b.http.get("/api/v1/me")).status_code == 200  # still logged in


async def test_a_command_another_system_requested_blocks_the_same_action_until_it_ends(world):
    alice = await world.user()
    phone = await world.device(alice)
    b = await world.browser(alice)
    await world.sees_device(b, phone.device_id)
    theirs = f"cmd-elsewhere-{phone.device_id}"  # known to the gateway from the status topic
    await world.producer.send_event(COMMANDS_STATUS, status(
        world, theirs, phone.device_id, "u-other-system", "queued", 3))

    async def projected():
        return (await b.http.get(f"/api/v1/commands/{theirs}")).status_code == 200
    await eventually(projected, timeout_s=20, what="the other system's lock projected")
    blocked = await b.command(phone.device_id, "lock")
    assert blocked.status_code == 409, blocked.text
    assert (blocked.json()["code"], blocked.json()["command_id"]) == ("command.pending", theirs)
    await world.producer.send_event(COMMANDS_STATUS, status(
        world, theirs, phone.device_id, "u-other-system", "acknowledged", 5))

    async def accepted():
        return (await b.command(phone.device_id, "lock")).status_code == 202
    await eventually(accepted, timeout_s=20, what="a lock accepted once theirs ended")
