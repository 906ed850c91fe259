"""A device's activity from the audit trail (issue 19), the owner's label for a device and the
organisation's help-desk contact, over the JSON API: who may read what, and problem+json for
what is malformed.

The audit records are produced here as the permission-service and the registry write them.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from ssp_contracts.audit import AuditRecord
from ssp_contracts.topics import AUDIT

from tests.gateway.portal_world import Browser, World, display_name
from tests.support.waiting import eventually


def audit(world: World, device_id: str, actor: str, action: str, at: datetime,
          **fields: Any) -> AuditRecord:
    return AuditRecord(org_id=world.org_id, audit_id=str(uuid.uuid4()), actor=actor,
                       action=action, outcome=fields.pop("outcome", "succeeded"),
                       device_id=device_id, occurred_at=at, **fields)


async def activity_ids(b: Browser, device_id: str, count: int) -> dict[str, dict]:
    """The entries once `count` of them are there (the projection reads ssp.audit)."""
    async def probe() -> dict[str, dict] | None:
        resp = await b.http.get(f"/api/v1/devices/{device_id}/activity")
        assert resp.status_code == 200, resp.text
        items = resp.json()["items"]
        return {e["id"]: e for e in items} if len(items) >= count else None
    return await eventually(probe, timeout_s=20, what=f"{count} activity entries")


async def test_the_owner_sees_their_own_and_everything_since_the_link_admins_see_all(world):
    alice = await world.user()
    admin = await world.user(permissions=["admin"])
    earlier = await world.user()
    mallory = await world.user()
    phone = await world.device(alice)
    linked_at = phone.owner.linked_at  # type: ignore[union-attr]
    a = await world.browser(alice)
    await world.sees_device(a, phone.device_id)
    asked = await a.command(phone.device_id, "lock")
    assert asked.status_code == 202, asked.text
    lock_id = asked.json()["command_id"]

    before = audit(world, phone.device_id, earlier.user_id, "authorized_command",
                   linked_at - timedelta(hours=1), command_id=f"c-{uuid.uuid4().hex}",
                   detail="lock (portal): allowed: the previous owner's")
    link = audit(world, phone.device_id, admin.user_id, "linked_device", linked_at,
                 user_id=alice.user_id, detail="source=manual")
    by_admin = audit(world, phone.device_id, admin.user_id, "rejected_command",
                     linked_at + timedelta(seconds=1), outcome="rejected",
                     command_id=f"c-{uuid.uuid4().hex}", detail="wipe (portal): breaker open")
    own = audit(world, phone.device_id, alice.user_id, "authorized_command",
                linked_at + timedelta(seconds=2), command_id=lock_id,
                detail="lock (portal): allowed: ok")
    elsewhere = audit(world, f"dev-{uuid.uuid4().hex[:10]}", alice.user_id,
                      "authorized_command", linked_at + timedelta(seconds=3))
    for record in (before, link, by_admin, own, elsewhere):
        await world.producer.send_event(AUDIT, record)

    ad = await world.browser(admin)
    everything = await activity_ids(ad, phone.device_id, 4)
    assert set(everything) == {before.audit_id, link.audit_id, by_admin.audit_id, own.audit_id}
    assert everything[before.audit_id]["detail"] == "lock (portal): allowed: the previous owner's"
    assert everything[before.audit_id]["actor"] == {"kind": "user",
                                                    "name": display_name(earlier)}

    mine = await activity_ids(a, phone.device_id, 3)
    assert list(mine) == [own.audit_id, by_admin.audit_id, link.audit_id]  # newest first
    assert all(e["detail"] is None for e in mine.values())  # the audit's wording is admins'
    assert mine[own.audit_id]["actor"] == {"kind": "you", "name": None}
    assert mine[own.audit_id]["command_action"] == "lock"  # from the command projection
    assert mine[own.audit_id]["command_status"] == "requested"
    assert mine[by_admin.audit_id]["actor"] == {"kind": "user", "name": display_name(admin)}
    assert mine[by_admin.audit_id]["outcome"] == "rejected"
    assert mine[link.audit_id]["action"] == "linked_device"
    assert mine[link.audit_id]["concerns"] == {"kind": "you", "name": None}

    resp = await a.http.get(f"/api/v1/devices/{phone.device_id}/activity", params={"page": 2})
    assert resp.json() == {"items": [], "page": 2, "page_size": 50, "has_next": False}
    resp = await a.http.get(f"/api/v1/devices/{phone.device_id}/activity", params={"page": 0})
    assert resp.status_code == 422
    assert resp.headers["content-type"].startswith("application/problem+json")

    m = await world.browser(mallory)
    for path in (f"/api/v1/devices/{phone.device_id}/activity",
                 f"/devices/{phone.device_id}/activity"):
        resp = await m.http.get(path)
        assert resp.status_code == 404, (path, resp.text)


async def test_an_admin_of_another_org_does_not_see_the_activity(world, producer, responder):
    alice = await world.user()
    phone = await world.device(alice)
    a = await world.browser(alice)
    await world.sees_device(a, phone.device_id)
    other = World(producer, responder, world.base_url)
    try:
        stranger = await other.user(permissions=["admin"])
        s = await other.browser(stranger)
        resp = await s.http.get(f"/api/v1/devices/{phone.device_id}/activity")
        assert resp.status_code == 404, resp.text
    finally:
        await other.close()


async def test_the_owner_labels_a_device_others_cannot(world):
    alice = await world.user()
    admin = await world.user(permissions=["admin"])
    mallory = await world.user()
    phone = await world.device(alice, name="iPhone von Alice")
    a = await world.browser(alice)
    await world.sees_device(a, phone.device_id)
    path = f"/api/v1/devices/{phone.device_id}/label"

    resp = await a.http.put(path, json={"label": "  My \n work   phone "},
                            headers={"X-CSRF-Token": a.csrf})
    assert resp.status_code == 200, resp.text
    assert (resp.json()["label"], resp.json()["name"]) == ("My work phone", "iPhone von Alice")
    assert (await a.http.get(f"/api/v1/devices/{phone.device_id}")).json()["label"] == (
        "My work phone")
    listed = (await a.http.get("/api/v1/devices")).json()["items"]
    assert [d["label"] for d in listed] == ["My work phone"]

    ad = await world.browser(admin)
    found = (await ad.http.get("/api/v1/admin/devices",
                               params={"serial_number": phone.identifiers.serial_number}))
    assert [d["label"] for d in found.json()["items"]] == ["My work phone"]

    for body in ({"label": "x" * 61}, {"label": "ok", "name": "not a field"}, {}):
        resp = await a.http.put(path, json=body, headers={"X-CSRF-Token": a.csrf})
        assert resp.status_code == 422, (body, resp.text)
        assert resp.headers["content-type"].startswith("application/problem+json")

    m = await world.browser(mallory)
    for method in ("PUT", "DELETE"):
        resp = await m.http.request(method, path, json={"label": "mine now"},
                                    headers={"X-CSRF-Token": m.csrf})
        assert resp.status_code == 404, resp.text
    resp = await a.http.put(path, json={"label": "ok"})  # no CSRF token
    assert resp.status_code == 403, resp.text

    resp = await a.http.delete(path, headers={"X-CSRF-Token": a.csrf})
    assert resp.status_code == 204, resp.text
    assert (await a.http.get(f"/api/v1/devices/{phone.device_id}")).json()["label"] is None


async def test_admins_set_the_help_desk_every_user_reads_it(world):
    admin = await world.user(permissions=["admin"])
    nobody = await world.user(permissions=[])  # no access at all: told to ask, so may read it
    ad = await world.browser(admin)
    n = await world.browser(nobody)
    empty = {"name": "", "phone": "", "email": "", "web": ""}
    assert (await n.http.get("/api/v1/helpdesk")).json() == empty
    assert (await ad.http.get("/api/v1/admin/helpdesk")).json() == empty

    for bad, field in (({"email": "not-an-address"}, "email"),
                       ({"web": "http://help.example.org"}, "web"),
                       ({"web": "javascript:alert(1)"}, "web"),
                       ({"phone": "call me"}, "phone"),
                       ({"name": "x" * 101}, "name"),
                       ({"fax": "123"}, "fax")):
        resp = await ad.http.put("/api/v1/admin/helpdesk", json=bad,
                                 headers={"X-CSRF-Token": ad.csrf})
        assert resp.status_code == 422, (bad, resp.text)
        assert resp.headers["content-type"].startswith("application/problem+json")
        assert [p["field"] for p in resp.json()["problems"]] == [field], resp.json()

    contact = {"name": "IT service desk", "phone": "+49 30 1234 567",
               "email": "help@example.org", "web": "https://help.example.org"}
    resp = await ad.http.put("/api/v1/admin/helpdesk", json=contact,
                             headers={"X-CSRF-Token": ad.csrf})
    assert (resp.status_code, resp.json()) == (200, contact)
    assert (await n.http.get("/api/v1/helpdesk")).json() == contact
    resp = await n.http.put("/api/v1/admin/helpdesk", json=empty,
                            headers={"X-CSRF-Token": n.csrf})
    assert resp.status_code == 403
    assert (await n.http.get("/api/v1/helpdesk")).json() == contact
