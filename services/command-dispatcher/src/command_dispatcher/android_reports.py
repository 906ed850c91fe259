"""Android device records as commands see them: look one up, refresh it, mark it gone."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import Any

from ssp_contracts.devices import DeviceReported
from ssp_contracts.enums import DeviceReportKind

from command_dispatcher.android.devices import to_device_reported
from command_dispatcher.android.errors import Unsupported
from command_dispatcher.android.sync_plan import AndroidDevice, facts_digest, gone_report
from command_dispatcher.store import AndroidDeviceStore

NOT_ENROLLED = ("device.not_enrolled",
                "The device is not enrolled in this dispatcher's Android enterprise.")


class AndroidReports:
    def __init__(self, devices: AndroidDeviceStore, clock: Callable[[], datetime]) -> None:
        self.devices = devices
        self.clock = clock

    async def device(self, device_id: str) -> AndroidDevice:
        device = await self.devices.get(device_id)
        if device is None or not device.enrolled:
            raise Unsupported(*NOT_ENROLLED)
        return device

    async def refreshed(self, device: AndroidDevice, resource: dict[str, Any]) -> DeviceReported:
        """Publish what devices.get said (inventory, or unenrolled once Google deleted it)."""
        now = self.clock()
        report = to_device_reported(resource, org_id=device.org_id, device_id=device.device_id,
                                    report_id=str(uuid.uuid4()), now=now)
        after = replace(device, management_mode=report.management_mode.value,
                        enrolled=report.kind is not DeviceReportKind.UNENROLLED,
                        facts_digest=facts_digest(report, resource.get("lastStatusReportTime")))
        await self.devices.report(after, report, now)
        return report

    async def gone(self, device_id: str) -> None:
        """Wiped or deleted: the device left management (the sync would notice it later)."""
        device = await self.devices.get(device_id)
        if device is None or not device.enrolled:
            return
        now = self.clock()
        await self.devices.report(replace(device, enrolled=False),
                                  gone_report(device, now, str(uuid.uuid4())), now)
