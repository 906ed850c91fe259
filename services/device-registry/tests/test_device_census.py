"""The device census: one state per device, and combinations that empty out drop to zero."""

from __future__ import annotations

from typing import Any

from device_registry.device_census import DeviceCensus, state_of
from prometheus_client import CollectorRegistry


class FakeDevices:
    def __init__(self, docs: list[dict[str, Any]]) -> None:
        self.docs = docs

    def find(self, _filter: dict[str, Any], _projection: dict[str, int]) -> Any:
        async def rows():
            for doc in self.docs:
                yield doc
        return rows()


class FakeDb(dict):
    pass


def test_state_prefers_the_most_telling_fact():
    assert state_of({"enrolled": False, "lost_mode": True}) == "unenrolled"
    assert state_of({"wipe_state": "pending", "lost_mode": True}) == "wipe_pending"
    assert state_of({"wipe_state": "wiped"}) == "wiped"
    assert state_of({"lost_mode": True, "wipe_state": "none"}) == "lost_mode"
    assert state_of({"platform": "ios"}) == "enrolled"


async def test_counts_by_platform_state_and_link():
    devices = FakeDevices([
        {"platform": "ios", "owner": {"user_id": "u1"}},
        {"platform": "ios", "owner": None},
        {"platform": "android", "lost_mode": True, "owner": {"user_id": "u2"}},
    ])
    registry = CollectorRegistry()
    census = DeviceCensus(FakeDb(devices=devices), registry)
    await census.count()

    def value(platform: str, state: str, linked: str) -> float | None:
        return registry.get_sample_value(
            "ssp_devices", {"platform": platform, "state": state, "linked": linked})

    assert value("ios", "enrolled", "yes") == 1
    assert value("ios", "enrolled", "no") == 1
    assert value("android", "lost_mode", "yes") == 1
    devices.docs = devices.docs[:1]
    await census.count()
    assert value("android", "lost_mode", "yes") == 0
