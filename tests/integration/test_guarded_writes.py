"""The database wrapper's guarded writes on the real database, in both modes (writes serialised
in this process for FerretDB v1, or left to the server's filter as on MongoDB): an update
applies only where its condition still holds, and the caller learns which did not."""

from __future__ import annotations

import pytest
from ssp_runtime.mongo import Database, GuardedUpdate


@pytest.fixture(params=["serialized", "plain"])
async def db(request, mongo, run_id):
    name = f"t{run_id}_guarded_{request.param}"
    yield Database(mongo[name], serialize_writes=request.param == "serialized")
    await mongo.drop_database(name)


async def test_guarded_updates_apply_where_the_condition_holds_and_name_the_rest(db, run_id):
    col = db["docs"]
    await col.insert_many([{"_id": f"{run_id}-{n}", "version": 1, "_outbox": [{"id": "a"}]}
                           for n in range(3)])
    await col.update_one({"_id": f"{run_id}-1"}, {"$set": {"version": 2}})  # moved on meanwhile

    raced = await db.guarded_updates("docs", [
        GuardedUpdate(f"{run_id}-{n}", condition={"version": 1},
                      update={"$set": {"version": 5, "by": "guarded"}}, applied={"version": 5})
        for n in range(3)] + [GuardedUpdate(f"{run_id}-missing", {"version": 1},
                                            {"$set": {"version": 5}}, {"version": 5})])

    assert raced == {f"{run_id}-1", f"{run_id}-missing"}
    stored = {d["_id"]: d async for d in col.find({})}
    assert [stored[f"{run_id}-{n}"]["version"] for n in range(3)] == [5, 2, 5]
    assert "by" not in stored[f"{run_id}-1"]
    assert f"{run_id}-missing" not in stored
    assert not await db.guarded_update("docs", f"{run_id}-1", {"version": 1},
                                       {"$set": {"version": 9}})
    assert await db.guarded_update("docs", f"{run_id}-1", {"version": 2},
                                   {"$set": {"version": 3}})


async def test_drop_leading_removes_only_the_named_entries_at_the_front(db, run_id):
    col = db["docs"]
    await col.insert_one({"_id": run_id, "_outbox": [{"id": "a"}, {"id": "b"}, {"id": "c"}]})
    await db.drop_leading("docs", "_outbox", {run_id: ["a", "b"]})
    assert (await col.find_one({"_id": run_id}))["_outbox"] == [{"id": "c"}]
