"""Admin routes: guarded by the admin permission, forwarded as AdminRequest over Kafka
request/reply, and device links published as LinkRequested."""

from __future__ import annotations

from ssp_contracts.rpc import AdminReply, FieldProblem
from ssp_contracts.topics import LINKS_REQUESTS

from tests.support.kafka import Tail, json_of
from tests.support.waiting import eventually


async def test_admin_routes_need_the_admin_permission(world):
    user = await world.user()
    b = await world.browser(user)
    resp = await b.http.get("/api/v1/admin/users")
    assert resp.status_code == 403 and resp.json()["code"] == "admin.required"
    assert (await b.http.get("/admin/users")).status_code == 403  # the page too


async def test_admin_request_is_forwarded_and_reply_mapped(world):
    admin = await world.user(permissions=["admin"])
    b = await world.browser(admin)
    world.responder.admin_replies[admin.user_id] = AdminReply(
        ok=True, status=201, data={"user_id": "u-new", "username": "carol"})
    resp = await b.post("/api/v1/admin/users", {"username": "carol", "password": "s3cret-pass"})
    assert resp.status_code == 201 and resp.json() == {
        "data": {"user_id": "u-new", "username": "carol"}}
    [sent] = [r for r in world.responder.admin_requests if r["actor_user_id"] == admin.user_id]
    assert sent["op"] == "create_user" and sent["org_id"] == world.org_id
    assert sent["payload"]["username"] == "carol"

    world.responder.admin_replies[admin.user_id] = AdminReply(
        ok=False, status=409, code="user.username_taken", message="Taken.",
        problems=[FieldProblem(field="username", code="username.taken", message="Taken.")])
    resp = await b.http.put("/api/v1/admin/users/u-1/roles", json={"roles": ["r1"]},
                            headers={"X-CSRF-Token": b.csrf})
    assert resp.status_code == 409
    assert resp.headers["content-type"].startswith("application/problem+json")
    assert resp.json()["code"] == "user.username_taken"
    assert resp.json()["problems"][0]["field"] == "username"


async def test_lists_and_role_changes_take_the_documented_forms(world):
    admin = await world.user(permissions=["admin"])
    b = await world.browser(admin)
    world.responder.admin_replies[admin.user_id] = AdminReply(ok=True, status=200, data={
        "items": [], "page": 2, "page_size": 10, "has_next": False})
    listed = await b.http.get("/api/v1/admin/users", params={"page": 2, "page_size": 10,
                                                             "q": "ali"})
    assert listed.status_code == 200 and listed.json()["data"]["page"] == 2
    roles = await b.http.get("/api/v1/admin/roles", params={"q": "read"})
    assert roles.status_code == 200
    for alias in ("roles", "role_ids"):
        put = await b.http.put("/api/v1/admin/users/u-1/roles", json={alias: ["r1", "r2"]},
                               headers={"X-CSRF-Token": b.csrf})
        assert put.status_code == 200, put.text
    sent = [(r["op"], r["payload"]) for r in world.responder.admin_requests
            if r["actor_user_id"] == admin.user_id]
    assert sent == [
        ("list_users", {"page": 2, "page_size": 10, "query": "ali"}),
        ("list_roles", {"page": 1, "page_size": 50, "query": "read"}),
        ("set_roles", {"role_ids": ["r1", "r2"]}), ("set_roles", {"role_ids": ["r1", "r2"]})]
    refused = await b.http.get("/api/v1/admin/users", params={"page": 0})
    assert refused.status_code in (400, 422)


async def test_admin_links_and_unlinks_a_device(world, bootstrap):
    admin = await world.user(permissions=["admin"])
    alice = await world.user()
    device = await world.device(None, name="Spare phone")
    ab = await world.browser(alice)
    await world.knows_access(ab)  # the username is resolvable now
    b = await world.browser(admin)

    async def found():
        resp = await b.http.get("/api/v1/admin/devices",
                                params={"serial_number": device.identifiers.serial_number})
        return resp.json()["items"]

    [listed] = await eventually(found, timeout_s=20, what="device in admin search")
    assert listed["id"] == device.device_id and listed["owner"] is None
    url = f"/api/v1/admin/devices/{device.device_id}/user"
    async with Tail(bootstrap, LINKS_REQUESTS) as tail:
        resp = await b.http.put(url, json={"username": alice.username},
                                headers={"X-CSRF-Token": b.csrf})
        assert resp.status_code == 202, resp.text
        unlink = await b.http.delete(url, headers={"X-CSRF-Token": b.csrf})
        assert unlink.status_code == 202
        records = await tail.wait_for(lambda r: r.key == device.device_id.encode(), count=2)
    linked, unlinked = (json_of(r) for r in records)
    assert linked["user_id"] == alice.user_id and linked["source"] == "manual"
    assert linked["requested_by"] == admin.user_id
    assert unlinked["user_id"] is None
    unknown = await b.http.put(url, json={"username": "nobody-" + alice.username},
                               headers={"X-CSRF-Token": b.csrf})
    assert unknown.status_code == 404 and unknown.json()["code"] == "user.not_found"
