"""The versioned migration creates the built-in roles exactly once: on an empty database, on a
restart, when two instances start at once, and on an old database that never recorded it."""

from __future__ import annotations

import asyncio

from tests.conftest import database_name

BUILTIN_IDS = {"builtin-ssp-full", "builtin-ssp-read", "builtin-admin"}
BUILTIN_NAMES = {"Self service portal - full access", "Self service portal - read access",
                 "Administrator"}


async def stored(mongo, run_id):
    db = mongo[database_name(run_id, "permission_service")]
    roles = [doc async for doc in db["roles"].find({}).sort("_id", 1)]
    applied = [doc async for doc in db["schema_migrations"].find({})]
    return roles, applied


async def test_an_empty_database_gets_exactly_the_builtin_roles(services, mongo, run_id):
    services("permission_service")
    roles, applied = await stored(mongo, run_id)
    assert {r["_id"] for r in roles} == BUILTIN_IDS
    assert {r["name"] for r in roles} == BUILTIN_NAMES
    full = next(r for r in roles if r["_id"] == "builtin-ssp-full")
    assert set(full["permissions"]) == {"ssp.view", "ssp.lost_mode", "ssp.locate", "ssp.wipe",
                                        "ssp.lock", "ssp.reset_passcode"}
    assert all(r["builtin"] and r["org_id"] is None for r in roles)
    assert [m["_id"] for m in applied] == [1]


async def test_a_restart_changes_nothing(services, mongo, run_id):
    first = services("permission_service")
    before = await stored(mongo, run_id)
    first.stop()
    services("permission_service")
    assert await stored(mongo, run_id) == before


async def test_two_instances_starting_at_once_create_one_of_each(services, mongo, run_id):
    both = [services("permission_service", wait=False) for _ in range(2)]
    await asyncio.gather(*(asyncio.to_thread(proc.wait_ready) for proc in both))
    roles, applied = await stored(mongo, run_id)
    assert sorted(r["_id"] for r in roles) == sorted(BUILTIN_IDS)
    assert len(applied) == 1


async def test_an_old_database_without_the_migration_record_gets_the_roles(
        services, mongo, run_id):
    db = mongo[database_name(run_id, "permission_service")]
    # A database from before the migration existed: an account, no roles, no record.
    old_account = {"_id": "u-old", "user_id": "u-old", "org_id": "acme", "username": "olduser",
                   "username_key": "olduser", "version": 3, "enabled": True, "deleted": False,
                   "role_ids": [], "failed_logins": 0}
    await db["accounts"].insert_one(old_account)
    services("permission_service")
    roles, applied = await stored(mongo, run_id)
    assert {r["_id"] for r in roles} == BUILTIN_IDS
    assert [m["_id"] for m in applied] == [1]
    assert await db["accounts"].find_one({"_id": "u-old"}) == old_account
