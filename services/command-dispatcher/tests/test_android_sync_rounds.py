"""Sync rounds never overlap: a device seen by two concurrent rounds is reported once."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from command_dispatcher.android.sync_plan import AndroidDevice
from command_dispatcher.android_sync import AndroidDeviceSync

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
RESOURCE = {"name": "enterprises/LC01/devices/3f2a9c", "managementMode": "DEVICE_OWNER",
            "state": "ACTIVE", "appliedState": "ACTIVE",
            "lastStatusReportTime": "2025-03-01T11:42:10Z",
            "hardwareInfo": {"manufacturer": "Google", "model": "Pixel 8",
                             "serialNumber": "3A1B2C"}}


class SlowListing:
    """devices.list answering after a pause, so two rounds would interleave."""

    async def iter_devices(self, enterprise: str):
        await asyncio.sleep(0.01)
        yield RESOURCE


class Devices:
    def __init__(self) -> None:
        self.known: dict[str, AndroidDevice] = {}
        self.reports: list[str] = []

    async def in_enterprise(self, enterprise: str) -> dict[str, AndroidDevice]:
        return dict(self.known)

    async def report(self, device: AndroidDevice, report, now: datetime) -> None:
        await asyncio.sleep(0.01)  # the database write
        self.known[device.device_id] = device
        self.reports.append(report.kind.value)


async def test_concurrent_rounds_report_a_new_device_enrolled_once() -> None:
    devices = Devices()
    sync = AndroidDeviceSync(SlowListing(), devices, enterprise="enterprises/LC01",  # type: ignore[arg-type]
                             org_id="acme", clock=lambda: NOW)
    rounds = await asyncio.gather(sync.sync_devices(), sync.sync_devices())
    assert sorted(rounds) == [0, 1]
    assert devices.reports == ["enrolled"]
