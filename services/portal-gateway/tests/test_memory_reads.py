"""Memory reads: version-guarded devices by owner (BOLA-safe as in the database), accounts,
and sessions remembered only for their time."""

from __future__ import annotations

from datetime import UTC, datetime

from portal_gateway.domain.access import Caller
from portal_gateway.memory_reads import DeviceMemory
from ssp_contracts.devices import DeviceOwner, DeviceSnapshot
from ssp_contracts.enums import LinkSource, ManagementMode, Platform

NOW = datetime(2026, 11, 27, 9, 30, tzinfo=UTC)


def caller(user: str, org: str = "acme") -> Caller:
    return Caller(user_id=user, org_id=org, username=user, permissions=frozenset(),
                  session_hash="h", csrf_token="c")


def device(device_id: str, owner: str | None, version: int, org: str = "acme",
           name: str = "") -> DeviceSnapshot:
    return DeviceSnapshot(
        org_id=org, device_id=device_id, version=version, platform=Platform.IOS,
        management_mode=ManagementMode.IOS_SUPERVISED, name=name or device_id,
        owner=None if owner is None else DeviceOwner(user_id=owner, linked_at=NOW,
                                                     source=LinkSource.MANUAL))


def test_devices_follow_the_newest_version_in_any_order():
    memory = DeviceMemory()
    memory.apply(device("d1", "alice", 2))
    memory.apply(device("d1", "bob", 1))  # older: ignored
    assert [d.device_id for d in memory.owned(caller("alice")) or []] == ["d1"]
    memory.apply(device("d1", "bob", 3))  # relinked to bob
    assert memory.owned(caller("bob")) == [device("d1", "bob", 3)]
    assert memory.owned(caller("alice")) == []  # known owner, no device any more
    memory.remove("d1")
    assert memory.owned(caller("bob")) == []


def test_owners_are_scoped_by_org_and_unknown_ones_go_to_the_database():
    memory = DeviceMemory()
    memory.apply(device("d1", "alice", 1, org="acme"))
    memory.apply(device("d2", "alice", 1, org="other"))
    assert [d.device_id for d in memory.owned(caller("alice", "acme")) or []] == ["d1"]
    assert memory.owned(caller("carol")) is None  # never seen: memory cannot tell
    memory.known_owners.add(("acme", "carol"))
    assert memory.owned(caller("carol")) == []


def test_devices_are_listed_by_name_then_id():
    memory = DeviceMemory()
    for device_id, name in (("d3", "b"), ("d1", "b"), ("d2", "a")):
        memory.apply(device(device_id, "alice", 1, name=name))
    assert [d.device_id for d in memory.owned(caller("alice")) or []] == ["d2", "d1", "d3"]
