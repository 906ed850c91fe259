"""`ssp_devices{platform,state,linked}`: the fleet as the registry holds it, counted
periodically (a scan of the devices collection: FerretDB v1 would scan for any aggregate too,
so it runs every `SSP_DEVICE_CENSUS_S`, not per scrape)."""

from __future__ import annotations

from collections import Counter as Tally
from typing import Any

from prometheus_client import CollectorRegistry, Gauge
from ssp_runtime.mongo import Database

from device_registry.store.devices import DEVICES

FIELDS = {"platform": 1, "enrolled": 1, "lost_mode": 1, "wipe_state": 1, "owner": 1}


def state_of(doc: dict[str, Any]) -> str:
    """One state per device, the most telling first."""
    if not doc.get("enrolled", True):
        return "unenrolled"
    wipe = doc.get("wipe_state") or "none"
    if wipe != "none":
        return "wiped" if wipe == "wiped" else "wipe_pending"
    if doc.get("lost_mode"):
        return "lost_mode"
    return "enrolled"


class DeviceCensus:
    def __init__(self, db: Database, registry: CollectorRegistry) -> None:
        self.db = db
        self.devices = Gauge("ssp_devices", "Devices in the registry by platform, state and "
                             "whether a user is linked", ["platform", "state", "linked"],
                             registry=registry)
        self._seen: set[tuple[str, str, str]] = set()

    async def count(self) -> dict[tuple[str, str, str], int]:
        tally: Tally[tuple[str, str, str]] = Tally()
        async for doc in self.db[DEVICES].find({}, FIELDS):
            linked = "yes" if doc.get("owner") else "no"
            tally[(str(doc.get("platform", "unknown")), state_of(doc), linked)] += 1
        for labels in self._seen - set(tally):  # a combination that emptied shows 0, not stale
            self.devices.labels(*labels).set(0)
        for labels, n in tally.items():
            self.devices.labels(*labels).set(n)
        self._seen |= set(tally)
        return dict(tally)
