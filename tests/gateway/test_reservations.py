"""Enrollment reservations through the gateway's admin API, answered by a real
device-registry over request/reply, and applied when the device enrolls."""

from __future__ import annotations

from tests.gateway.registry_process import LinkWorld, imports_projected, links, registry
from tests.support.waiting import eventually

_ = (registry, imports_projected, links)  # fixtures used by name


async def test_reserve_list_enroll_and_delete(links: LinkWorld):
    people = await links.users("alice")
    alice = people["alice"]
    admin = await links.world.browser(await links.world.user(permissions=["admin"]))
    headers = {"X-CSRF-Token": admin.csrf}
    made = await admin.http.post("/api/v1/admin/reservations", headers=headers, json={
        "kind": "serial_number", "value": "rs 77", "username": alice.username})
    assert made.status_code == 201, made.text
    assert (made.json()["value"], made.json()["state"]) == ("RS77", "open")
    again = await admin.http.post("/api/v1/admin/reservations", headers=headers, json={
        "kind": "serial_number", "value": "RS77", "username": alice.username})
    assert again.status_code == 409 and again.json()["code"] == "reservation.exists"
    bad = await admin.http.post("/api/v1/admin/reservations", headers=headers, json={
        "kind": "imei", "value": "n/a", "username": alice.username})
    assert bad.status_code == 422 and bad.json()["code"] == "reservation.invalid_value"

    devices = await links.devices("RS77")

    async def linked() -> bool:
        return await links.owner_of(devices["RS77"]) == alice.user_id
    await eventually(linked, what="reserved device linked")
    seen = await links.world.sees_device(await links.world.browser(alice), devices["RS77"])
    assert seen["id"] == devices["RS77"]
    [listed] = (await admin.http.get("/api/v1/admin/reservations")).json()["items"]
    assert (listed["state"], listed["device_id"]) == ("consumed", devices["RS77"])
    url = f"/api/v1/admin/reservations/{listed['reservation_id']}"
    assert (await admin.http.delete(url, headers=headers)).status_code == 204
    gone = await admin.http.delete(url, headers=headers)
    assert gone.status_code == 404 and gone.json()["code"] == "reservation.not_found"
    user = await links.world.browser(alice)
    assert (await user.http.get("/api/v1/admin/reservations")).status_code == 403
