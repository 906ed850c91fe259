"""A device's contacts become `checked_in` reports, at most one per device per interval."""

from __future__ import annotations

from datetime import UTC, datetime

from command_dispatcher.contact_reports import ContactReports
from ssp_contracts.devices import DeviceReported
from ssp_contracts.enums import DeviceReportKind, ManagementMode, Platform

NOW = datetime(2026, 12, 6, 22, 42, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.s = 1000.0

    def __call__(self) -> float:
        return self.s


async def test_contacts_within_the_interval_are_reported_once_per_device():
    tick = Clock()
    contacts = ContactReports(lambda: NOW, every_s=60, monotonic=tick)
    sent: list[DeviceReported] = []

    async def publish(report: DeviceReported) -> None:
        sent.append(report)

    async def contact(device_id: str) -> None:
        await contacts.contact(org_id="acme", device_id=device_id, platform="ios",
                               mode="ios_supervised", publish=publish)

    await contact("d-1")
    await contact("d-2")  # another device is not held back by the first
    tick.s += 59
    await contact("d-1")  # polling while it works through its commands: coalesced
    assert [r.device_id for r in sent] == ["d-1", "d-2"]
    tick.s += 1
    await contact("d-1")
    assert [r.device_id for r in sent] == ["d-1", "d-2", "d-1"]
    report = sent[0]
    assert (report.kind, report.org_id, report.occurred_at) == (
        DeviceReportKind.CHECKED_IN, "acme", NOW)
    assert (report.platform, report.management_mode) == (Platform.IOS,
                                                         ManagementMode.IOS_SUPERVISED)
    assert report.inventory.model_dump(exclude_none=True) == {}  # a contact changes no facts
    assert sent[0].report_id != sent[2].report_id


def test_zero_reports_every_contact():
    contacts = ContactReports(lambda: NOW, every_s=0, monotonic=Clock())
    assert all(contacts.due("d-1") for _ in range(3))
