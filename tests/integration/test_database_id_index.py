"""The local database answers lookups and updates by `_id` through its index.

The devstack patches FerretDB's SQLite backend (tools/devstack/ferretdb/patches) so that an `_id`
equality or an `_id` `$in` list reaches SQLite as an indexed search; without it every device
lookup of a CSV import scanned the whole collection. The plan is checked through `explain`, so
the test does not depend on timing. The answers must stay exactly MongoDB's: the prefilter only
narrows, the rest of the filter still applies.
"""

from __future__ import annotations

import pytest


@pytest.fixture
async def devices(mongo, run_id):
    info = await mongo.admin.command("buildInfo")
    if "ferretdbVersion" not in info:
        pytest.skip("the plan check is specific to the devstack's FerretDB")
    collection = mongo[f"t{run_id}_ids"]["devices"]
    await collection.insert_many(
        [{"_id": f"dev-{i:04d}", "org_id": "org-a" if i % 2 else "org-b", "n": i}
         for i in range(300)])
    await collection.insert_one({"_id": 7, "org_id": "org-a", "n": -7})  # not a string id
    yield collection
    await mongo.drop_database(f"t{run_id}_ids")


async def plan(collection, query) -> str:
    answer = await collection.database.command(
        "explain", {"find": collection.name, "filter": query})
    return " ".join(answer["queryPlanner"]["Plan"])


@pytest.mark.parametrize("query", [
    {"_id": "dev-0011"},
    {"_id": "dev-0011", "org_id": "org-a"},
    {"_id": {"$in": ["dev-0011", "dev-0012", "missing"]}, "org_id": "org-a"},
])
async def test_lookups_by_id_use_the_index(devices, query):
    assert "USING INDEX" in await plan(devices, query)


async def test_other_filters_still_scan(devices):
    assert "USING INDEX" not in await plan(devices, {"org_id": "org-a"})
    # An $in list with anything but strings and ObjectIds is left to the full filter.
    assert "USING INDEX" not in await plan(devices, {"_id": {"$in": ["dev-0001", 7]}})


async def test_the_prefilter_only_narrows(devices):
    found = devices.find({"_id": {"$in": ["dev-0011", "dev-0012", "missing"]},
                          "org_id": "org-a"})
    assert [d["_id"] async for d in found] == ["dev-0011"]  # dev-0012 is org-b's
    assert await devices.find_one({"_id": "dev-0012", "org_id": "org-a"}) is None
    mixed = devices.find({"_id": {"$in": ["dev-0001", 7]}}).sort("n", 1)
    assert [d["_id"] async for d in mixed] == [7, "dev-0001"]
    assert await devices.count_documents({"_id": {"$in": ["dev-0003", "dev-0004"]}}) == 2


async def test_updates_and_deletes_by_id_apply_to_exactly_their_document(devices):
    result = await devices.update_one({"_id": "dev-0021", "n": 21}, {"$set": {"seen": True}})
    assert result.modified_count == 1
    result = await devices.update_one({"_id": "dev-0022", "n": 999}, {"$set": {"seen": True}})
    assert result.matched_count == 0
    assert await devices.count_documents({"seen": True}) == 1
    deleted = await devices.delete_many({"_id": {"$in": ["dev-0030", "dev-0031"]}})
    assert deleted.deleted_count == 2
    assert await devices.count_documents({}) == 299
