"""CSV import chunks in the device-registry on the real broker and database: every outcome,
links with snapshots and audit records, dry runs, redelivered chunks."""

from __future__ import annotations

import uuid

from ssp_contracts import ImportRow, ImportRowOutcome, ImportRowsSubmitted, LinkRequested
from ssp_contracts.enums import LinkSource
from ssp_contracts.topics import AUDIT, IMPORTS_STATUS, LINKS_REQUESTS

from tests.conftest import database_name
from tests.integration.registry_world import RegistryWorld, registry_world
from tests.support.kafka import Producer, Tail, json_of
from tests.support.metrics import samples


def row(line: int, serial: str, username: str) -> ImportRow:
    return ImportRow(line=line, device_key_kind="serial_number", device_key=serial,
                     user_key_kind="username", user_key=username)


def chunk(world: RegistryWorld, import_id: str, index: int, chunks: int, rows: list,
          prejudged: list | None = None, *, total: int, dry_run: bool = False,
          ) -> ImportRowsSubmitted:
    return ImportRowsSubmitted(
        org_id=world.org_id, import_id=import_id, chunk=index, chunks=chunks, total_rows=total,
        dry_run=dry_run, requested_by="admin-1", rows=rows, prejudged=prejudged or [])


async def progress_of(tail: Tail, import_id: str, count: int = 1) -> list[dict]:
    found = await tail.wait_for(lambda r: r.key == import_id.encode(), timeout_s=30,
                                count=count)
    return [json_of(r) for r in found]


async def a_world(services, bootstrap, mongo, run_id):
    registry = services("device_registry")
    producer = await Producer(bootstrap).__aenter__()
    world, snaps = await registry_world(producer, bootstrap, mongo,
                                        database_name(run_id, "device_registry"))
    alice, bob = await world.user("Alice"), await world.user("bob", email="bob@example.com")
    devices = {serial: await world.device(serial) for serial in ("S1", "S2", "S3")}
    for device_id in devices.values():
        await world.snapshot(device_id)
    await world.users_known(alice, bob)
    # S2 belongs to alice already, S3 to bob: one row is unchanged, one relinked.
    for serial, owner in (("S2", alice), ("S3", bob)):
        await producer.send_event(LINKS_REQUESTS, LinkRequested(
            org_id=world.org_id, request_id=str(uuid.uuid4()), device_id=devices[serial],
            user_id=owner, source=LinkSource.MANUAL, requested_by="admin-1"))
        await world.snapshot(devices[serial], owner__user_id=owner)
    return world, producer, snaps, devices, {"alice": alice, "bob": bob}, registry


ROWS = [row(2, "S1", "ALICE"), row(3, "S2", "alice"), row(4, "S3", "alice"),
        row(5, "S9", "alice"), row(6, "S1x", "nobody")]
PREJUDGED = [ImportRowOutcome(line=7, device_key="S1", user_key="bob",
                              outcome="duplicate_in_file", detail="serial_number already on "
                              "line 2; the first row wins"),
             ImportRowOutcome(line=8, device_key="", user_key="bob", outcome="invalid",
                              detail="serial_number is empty")]


async def test_every_outcome_links_and_reports_in_two_chunks(services, bootstrap, mongo,
                                                             run_id):
    world, producer, snaps, devices, users, _ = await a_world(services, bootstrap, mongo,
                                                              run_id)
    import_id = f"imp-{run_id}"
    async with Tail(bootstrap, IMPORTS_STATUS) as progress, Tail(bootstrap, AUDIT) as audit:
        await producer.send_event(LINKS_REQUESTS, chunk(world, import_id, 0, 2, ROWS[:3],
                                                        total=7))
        await producer.send_event(LINKS_REQUESTS, chunk(world, import_id, 1, 2, ROWS[3:],
                                                        PREJUDGED, total=7))
        first, last = await progress_of(progress, import_id, count=2)
        assert (first["version"], first["status"], first["done"]) == (1, "running", 3)
        assert (last["version"], last["status"], last["done"], last["total"]) == (
            2, "completed", 7, 7)
        outcomes = {r["line"]: r["outcome"] for r in first["rows"] + last["rows"]}
        assert outcomes == {2: "linked", 3: "unchanged", 4: "relinked", 5: "unknown_device",
                            6: "unknown_device", 7: "duplicate_in_file", 8: "invalid"}
        assert last["counts"] == {"linked": 1, "unchanged": 1, "relinked": 1,
                                  "unknown_device": 2, "unknown_user": 0,
                                  "duplicate_in_file": 1, "invalid": 1}
        linked = await world.snapshot(devices["S1"], owner__user_id=users["alice"])
        assert (linked["owner"]["source"], linked["owner"]["username"]) == ("csv", "Alice")
        await world.snapshot(devices["S3"], owner__user_id=users["alice"])
        records = await audit.wait_for(
            lambda r: json_of(r).get("detail", "").startswith(f"source=csv import={import_id}"),
            count=2)
        assert sorted(json_of(r)["action"] for r in records) == ["linked_device",
                                                                  "relinked_device"]
    await producer.__aexit__()
    await snaps.__aexit__()


async def test_unknown_user_dry_run_and_a_redelivered_chunk(services, bootstrap, mongo,
                                                            run_id):
    world, producer, snaps, devices, users, registry = await a_world(
        services, bootstrap, mongo, run_id)
    dry = f"dry-{run_id}"
    rows = [row(2, "S1", "bob@nowhere"), row(3, "S2", "bob"), row(4, "S3", "alice")]
    async with Tail(bootstrap, IMPORTS_STATUS) as progress:
        await producer.send_event(LINKS_REQUESTS, chunk(world, dry, 0, 1, rows, total=3,
                                                        dry_run=True))
        [done] = await progress_of(progress, dry)
        assert done["dry_run"] and done["status"] == "completed"
        assert [r["outcome"] for r in done["rows"]] == ["unknown_user", "relinked",
                                                         "relinked"]
        # The dry run changed nothing: S2 and S3 keep their owners, S1 has none.
        stored = {d["_id"]: (d.get("owner") or {}).get("user_id")
                  async for d in world.db["devices"].find({"org_id": world.org_id})}
        assert stored == {devices["S1"]: None, devices["S2"]: users["alice"],
                          devices["S3"]: users["bob"]}

        # A chunk delivered twice counts once, and the import still completes.
        real = f"imp-{run_id}"
        first = chunk(world, real, 0, 2, [row(2, "S1", "bob")], total=2)
        await producer.send_event(LINKS_REQUESTS, first)
        await progress_of(progress, real)
        await producer.send_event(LINKS_REQUESTS, first)
        await producer.send_event(LINKS_REQUESTS, chunk(world, real, 1, 2,
                                                        [row(3, "S2", "bob")], total=2))
        events = await progress_of(progress, real, count=2)
        assert [(e["version"], e["status"], e["done"]) for e in events] == [
            (1, "running", 1), (2, "completed", 2)]
        assert events[-1]["counts"]["linked"] == 1 and events[-1]["counts"]["relinked"] == 1
        await world.snapshot(devices["S1"], owner__user_id=users["bob"])
        job = await world.db["imports"].find_one({"_id": real})
        assert job["chunks_done"] == [0, 1] and job["version"] == 2
    assert len([r for r in progress.seen if r.key == real.encode()]) == 2
    # Rows by outcome for operators: the redelivered chunk is not counted again.
    rows = await samples(registry.url, "ssp_import_rows_total")
    assert {(dict(k)["outcome"], dict(k)["dry_run"]): v for k, v in rows.items() if v} == {
        ("unknown_user", "true"): 1, ("relinked", "true"): 2, ("linked", "false"): 1,
        ("relinked", "false"): 1}
    await producer.__aexit__()
    await snaps.__aexit__()
