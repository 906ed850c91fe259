"""/me portal access, the caller's devices, and BOLA: another user's device does not exist."""

from __future__ import annotations

from ssp_contracts.topics import COMMANDS_REQUESTED, DEVICES

from tests.support.kafka import Tail, json_of
from tests.support.waiting import eventually


async def test_portal_access_names_what_is_missing(world):
    nothing = await world.user(permissions=[])
    b = await world.browser(nothing)
    me = await world.knows_access(b, user_id=nothing.user_id)
    assert me["portal_access"] == {"granted": False, "missing": ["permission", "device"]}

    viewer = await world.user(permissions=["ssp.view"])
    b = await world.browser(viewer)
    me = (await b.http.get("/api/v1/me")).json()
    assert me["portal_access"] == {"granted": False, "missing": ["device"]}
    device = await world.device(viewer)
    await world.sees_device(b, device.device_id)
    me = (await b.http.get("/api/v1/me")).json()
    assert me["portal_access"] == {"granted": True, "missing": []}

    admin_only = await world.user(permissions=["admin"])
    await world.device(admin_only)
    b = await world.browser(admin_only)
    me = await world.knows_access(b, is_admin=True)
    assert me["portal_access"]["missing"] == ["permission"]


async def test_devices_list_and_detail_show_actions_and_reasons(world):
    alice = await world.user(permissions=["ssp.view", "ssp.lost_mode", "ssp.lock", "ssp.locate"])
    phone = await world.device(alice, mode="ios_supervised", name="Alice's iPhone")
    mac = await world.device(alice, mode="macos", name="Alice's Mac")
    b = await world.browser(alice)
    detail = await world.sees_device(b, phone.device_id)
    await world.sees_device(b, mac.device_id)
    assert detail["name"] == "Alice's iPhone"
    assert detail["serial_number"] == phone.identifiers.serial_number
    assert set(detail["allowed_actions"]) == {"enable_lost_mode", "lock", "refresh"}
    assert detail["unavailable_actions"]["wipe"] == "Your account is not allowed to do this."
    assert "lost mode" in detail["unavailable_actions"]["locate"].lower()
    listed = (await b.http.get("/api/v1/devices")).json()["items"]
    assert {d["id"] for d in listed} == {phone.device_id, mac.device_id}
    mac_view = next(d for d in listed if d["id"] == mac.device_id)
    assert "enable_lost_mode" in mac_view["unavailable_actions"]


async def test_another_users_device_is_404_and_no_command_leaves(world, bootstrap):
    alice = await world.user()
    mallory = await world.user()
    phone = await world.device(alice)
    a = await world.browser(alice)
    await world.sees_device(a, phone.device_id)
    m = await world.browser(mallory)
    for path in (f"/api/v1/devices/{phone.device_id}",
                 f"/api/v1/devices/{phone.device_id}/commands"):
        resp = await m.http.get(path)
        assert resp.status_code == 404 and resp.json()["code"] == "device.not_found"
    async with Tail(bootstrap, COMMANDS_REQUESTED) as tail:
        resp = await m.command(phone.device_id, "lock")
        assert resp.status_code == 404
        assert resp.json()["code"] == "device.not_found"
        resp = await m.post(f"/api/v1/devices/{phone.device_id}/commands/confirmations",
                            {"action": "wipe"})
        assert resp.status_code == 404
        # A marker command of Alice's proves the tail was reading when Mallory's would have gone.
        ok = await a.command(phone.device_id, "lock")
        assert ok.status_code == 202
        await tail.wait_for(lambda r: r.key == phone.device_id.encode(), timeout_s=15)
        sent = [json_of(r) for r in tail.seen if r.key == phone.device_id.encode()]
        assert [s["requested_by"] for s in sent] == [alice.user_id]
    listed = await m.http.get("/api/v1/devices")  # no device of their own: the list's refusal
    assert (listed.status_code, listed.json()["missing"]) == (403, ["device"])


async def test_device_of_another_org_is_invisible_even_with_same_user_id(world):
    alice = await world.user()
    a = await world.browser(alice)
    home_org = world.org_id
    world.org_id = f"{home_org}-other"
    other_admin = await world.user(permissions=["admin"])
    other = await world.device(alice, name="Other org phone")  # same owner id, other org
    admin = await world.browser(other_admin)

    async def projected():
        resp = await admin.http.get("/api/v1/admin/devices",
                                    params={"serial_number": other.identifiers.serial_number})
        return resp.status_code == 200 and resp.json()["items"]

    assert await eventually(projected, timeout_s=20, what="other-org device projected")
    assert (await a.http.get(f"/api/v1/devices/{other.device_id}")).status_code == 404
    listed = await a.http.get("/api/v1/devices")
    assert (listed.status_code, listed.json()["missing"]) == (403, ["device"])


async def test_tombstone_removes_the_device(world):
    alice = await world.user()
    phone = await world.device(alice)
    b = await world.browser(alice)
    await world.sees_device(b, phone.device_id)
    await world.producer.send_raw(DEVICES, None, key=phone.device_id)

    async def gone():
        return (await b.http.get(f"/api/v1/devices/{phone.device_id}")).status_code == 404

    assert await eventually(gone, timeout_s=20, what="device deleted by its tombstone")
    assert (await b.http.get("/api/v1/me")).json()["portal_access"]["missing"] == ["device"]
