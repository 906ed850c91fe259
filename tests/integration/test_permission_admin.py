"""Admin ops over the real `ssp.rpc.admin` topic: every account change publishes the user's
access snapshot (and an audit record); bad requests get structured problems and clear statuses."""

from __future__ import annotations

from ssp_contracts.rpc import AdminReply, AdminRequest
from ssp_contracts.topics import ACCESS, AUDIT, RPC_ADMIN

from tests.integration import test_permission_harness as harness
from tests.integration.test_permission_harness import (
    admin_call,
    bootstrap_admin_id,
    create_user,
    new_id,
)
from tests.support.kafka import Tail, json_of

# Fixtures of the shared harness, bound here so pytest finds them for this module.
database = harness.database
org = harness.org
permission_service = harness.permission_service
rpc = harness.rpc

FULL = ["ssp.locate", "ssp.lock", "ssp.lost_mode", "ssp.reset_passcode", "ssp.view", "ssp.wipe"]


def about(user_id: str, version: int):
    return lambda r: r.key == user_id.encode() and json_of(r)["version"] == version


async def test_a_grant_publishes_the_users_access_snapshot_and_an_audit_record(
        permission_service, rpc, org, bootstrap):
    admin = await bootstrap_admin_id(rpc, org)
    async with Tail(bootstrap, ACCESS) as access, Tail(bootstrap, AUDIT) as audit:
        user_id = await create_user(rpc, org, admin, roles=[])
        reply = await admin_call(rpc, org, admin, "set_roles", target_id=user_id,
                                 role_ids=["builtin-ssp-full"])
        assert reply.status == 200 and reply.data["permissions"] == FULL
        [created] = [json_of(r) for r in await access.wait_for(about(user_id, 1))]
        [granted] = [json_of(r) for r in await access.wait_for(about(user_id, 2))]
        assert created["permissions"] == [] and created["org_id"] == org
        assert granted["permissions"] == FULL
        assert granted["roles"] == [{"role_id": "builtin-ssp-full",
                                     "name": "Self service portal - full access"}]
        assert "password" not in str(granted)
        [record] = await audit.wait_for(
            lambda r: json_of(r)["user_id"] == user_id and json_of(r)["action"] == "granted_roles")
        assert json_of(record)["actor"] == admin and record.key == org.encode()


async def test_changing_or_deleting_a_custom_role_republishes_its_holders(
        permission_service, rpc, org, bootstrap):
    admin = await bootstrap_admin_id(rpc, org)
    role = await admin_call(rpc, org, admin, "create_role", name=new_id("Finders"),
                            permissions=["ssp.view"])
    assert role.status == 201
    role_id = role.data["role_id"]
    user_id = await create_user(rpc, org, admin, roles=[role_id])
    async with Tail(bootstrap, ACCESS) as access:
        changed = await admin_call(rpc, org, admin, "update_role", target_id=role_id,
                                   permissions=["ssp.view", "ssp.locate"])
        assert changed.status == 200 and changed.data["version"] == 2
        [snapshot] = await access.wait_for(about(user_id, 2))
        assert json_of(snapshot)["permissions"] == ["ssp.locate", "ssp.view"]
        assert (await admin_call(rpc, org, admin, "delete_role", target_id=role_id)).ok
        [snapshot] = await access.wait_for(about(user_id, 3))
        assert json_of(snapshot)["permissions"] == [] and json_of(snapshot)["roles"] == []


async def test_malformed_payloads_get_every_problem_by_field(permission_service, rpc, org):
    admin = await bootstrap_admin_id(rpc, org)
    reply = await admin_call(rpc, org, admin, "create_user", username=42, colour="blue",
                             role_ids="builtin-ssp-full")
    assert (reply.ok, reply.status, reply.code) == (False, 400, "validation.failed")
    assert {(p.field, p.code) for p in reply.problems} == {
        ("colour", "field.unknown"), ("role_ids", "role_ids.invalid"),
        ("username", "username.invalid")}
    assert all(p.message for p in reply.problems)

    reply = await admin_call(rpc, org, admin, "create_user", username="x y",
                             password="short", email="not-an-address",
                             role_ids=["no-such-role"])
    assert reply.status == 400
    assert {(p.field, p.code) for p in reply.problems} == {
        ("username", "username.invalid"), ("password", "password.too_short"),
        ("email", "email.invalid"), ("role_ids", "role.unknown")}

    reply = await admin_call(rpc, org, admin, "update_user", display_name="No target")
    assert reply.status == 400
    assert [(p.field, p.code) for p in reply.problems] == [("target_id", "target_id.required")]


async def test_only_an_enabled_admin_of_the_same_org_may_ask(permission_service, rpc, org):
    admin = await bootstrap_admin_id(rpc, org)
    user = await create_user(rpc, org, admin, roles=["builtin-ssp-full"])
    for actor, org_id in ((user, org), (admin, new_id("other-org")), (new_id("u"), org)):
        reply = await admin_call(rpc, org_id, actor, "list_users")
        assert (reply.ok, reply.status, reply.code) == (False, 403, "admin.required")


async def test_conflicts_and_missing_entities_have_their_statuses(permission_service, rpc, org):
    admin = await bootstrap_admin_id(rpc, org)
    username = new_id("erin")
    await create_user(rpc, org, admin, username=username, roles=[])
    taken = await admin_call(rpc, org, admin, "create_user", username=username.upper())
    assert (taken.status, taken.code) == (409, "username.taken")
    missing = await admin_call(rpc, org, admin, "get_user", target_id=new_id("u"))
    assert (missing.status, missing.code) == (404, "account.not_found")
    builtin = await admin_call(rpc, org, admin, "update_role", target_id="builtin-ssp-read",
                               name="Renamed")
    assert (builtin.status, builtin.code) == (403, "role.builtin_read_only")
    clash = await admin_call(rpc, org, admin, "create_role",
                             name="self service portal - READ access", permissions=["ssp.view"])
    assert (clash.status, clash.code) == (409, "role.name_taken")
    yourself = await admin_call(rpc, org, admin, "delete_user", target_id=admin)
    assert (yourself.status, yourself.code) == (403, "account.self_lockout")
    stale = await admin_call(rpc, org, admin, "update_user", target_id=admin,
                             display_name="Root", expected_version=99)
    assert (stale.status, stale.code) == (409, "account.version_conflict")


async def test_a_redelivered_create_makes_one_account(permission_service, rpc, org):
    admin = await bootstrap_admin_id(rpc, org)
    request = AdminRequest(org_id=org, request_id=new_id("req"), actor_user_id=admin,
                           op="create_user", payload={"username": new_id("frank")})
    first, second = [await rpc.request(RPC_ADMIN, request, AdminReply) for _ in range(2)]
    assert first.status == second.status == 201
    assert first.data["user_id"] == second.data["user_id"]


async def test_a_deleted_account_is_a_tombstone_and_frees_its_username(
        permission_service, rpc, org, bootstrap):
    admin = await bootstrap_admin_id(rpc, org)
    username = new_id("gina")
    user_id = await create_user(rpc, org, admin, username=username, roles=["builtin-ssp-read"])
    async with Tail(bootstrap, ACCESS) as access:
        assert (await admin_call(rpc, org, admin, "delete_user", target_id=user_id)).ok
        [snapshot] = await access.wait_for(about(user_id, 2))
        assert json_of(snapshot)["deleted"] is True and json_of(snapshot)["permissions"] == []
    assert await create_user(rpc, org, admin, username=username, roles=[]) != user_id


async def test_lists_are_pages_of_items_filtered_by_the_query(permission_service, rpc, org):
    admin = await bootstrap_admin_id(rpc, org)
    tag = new_id("zed").replace("-", "")
    for name in ("b", "a", "c"):
        await create_user(rpc, org, admin, username=f"{tag}-{name}", roles=[])
    first = await admin_call(rpc, org, admin, "list_users", query=tag.upper(), page_size=2)
    assert first.status == 200, first
    assert [u["username"] for u in first.data["items"]] == [f"{tag}-a", f"{tag}-b"]
    assert (first.data["page"], first.data["page_size"], first.data["has_next"]) == (1, 2, True)
    second = await admin_call(rpc, org, admin, "list_users", query=tag, page=2, page_size=2)
    assert [u["username"] for u in second.data["items"]] == [f"{tag}-c"]
    assert second.data["has_next"] is False
    # Regex characters are text, not a pattern: nothing has ".*" in its name.
    none = await admin_call(rpc, org, admin, "list_users", query=".*")
    assert none.data["items"] == []
    everyone = await admin_call(rpc, org, admin, "list_users")
    assert admin in [u["user_id"] for u in everyone.data["items"]]

    roles = await admin_call(rpc, org, admin, "list_roles", query="READ access")
    assert [r["role_id"] for r in roles.data["items"]] == ["builtin-ssp-read"]
    assert roles.data["has_next"] is False
    every_role = await admin_call(rpc, org, admin, "list_roles")
    assert {"builtin-ssp-full", "builtin-ssp-read"} <= {
        r["role_id"] for r in every_role.data["items"]}
    old_shape = await admin_call(rpc, org, admin, "list_users", skip=0)
    assert (old_shape.status, old_shape.problems[0].code) == (400, "field.unknown")
