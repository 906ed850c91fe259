"""What one devices.list means for the registry: who enrolled, changed or left (pure: no I/O)."""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from ssp_contracts.devices import DeviceIdentifiers, DeviceReported
from ssp_contracts.enums import DeviceReportKind, ManagementMode, Platform

from command_dispatcher.android.devices import to_device_reported

_DEVICE_NAME = re.compile(r"enterprises/[A-Za-z0-9_\-]+/devices/([A-Za-z0-9_\-]{1,100})")


def android_device_id(name: str) -> str | None:
    """The portal's id for an AMAPI device: stable, since Google never renames a device."""
    match = _DEVICE_NAME.fullmatch(name)
    return f"android-{match.group(1)}" if match else None


@dataclass(frozen=True)
class AndroidDevice:
    """A device as this dispatcher knows it from the last sync."""

    device_id: str  # android_device_id(name)
    name: str  # AMAPI resource name, enterprises/{e}/devices/{d}
    org_id: str
    management_mode: str
    enrolled: bool
    facts_digest: str | None = None  # of the last reported facts: unchanged facts stay quiet


@dataclass(frozen=True)
class SyncStep:
    """Store the device as `device` says and publish `report`."""

    device: AndroidDevice
    report: DeviceReported


def facts_digest(report: DeviceReported, last_contact: Any) -> str:
    """Equal for two reports that say the same about a device. The report's own id and time
    are left out (the time is "now" when Google gave no lastStatusReportTime)."""
    facts = report.model_dump_json(exclude={"report_id", "kind", "occurred_at"})
    return hashlib.sha256(f"{facts}|{last_contact}".encode()).hexdigest()


def plan_sync(known: Mapping[str, AndroidDevice], listed: Iterable[dict[str, Any]], *,
              org_id: str, now: datetime,
              new_id: Callable[[], str] = lambda: str(uuid.uuid4())) -> list[SyncStep]:
    """Steps for a complete listing of the enterprise (never call it with a partial one:
    a device missing from the listing counts as gone)."""
    steps: list[SyncStep] = []
    seen: set[str] = set()
    for resource in listed:
        device_id = android_device_id(str(resource.get("name", "")))
        if device_id is None:
            continue  # not a name Google gives; nothing to address it by
        seen.add(device_id)
        before = known.get(device_id)
        org = before.org_id if before else org_id
        report = to_device_reported(resource, org_id=org, device_id=device_id,
                                    report_id=new_id(), now=now)
        after = AndroidDevice(device_id, resource["name"], org, report.management_mode.value,
                            enrolled=report.kind is not DeviceReportKind.UNENROLLED,
                            facts_digest=facts_digest(report, resource.get("lastStatusReportTime")))
        if not after.enrolled:
            if before is not None and before.enrolled:
                steps.append(SyncStep(after, report))
        elif before is None or not before.enrolled:
            steps.append(SyncStep(after, report.model_copy(
                update={"kind": DeviceReportKind.ENROLLED})))
        elif before.facts_digest != after.facts_digest:
            steps.append(SyncStep(after, report))
    for device_id, before in known.items():
        if before.enrolled and device_id not in seen:
            gone = gone_report(before, now, new_id())
            steps.append(SyncStep(replace(before, enrolled=False), gone))
    return steps


def gone_report(device: AndroidDevice, now: datetime, report_id: str) -> DeviceReported:
    """Google no longer lists the device: deleted, wiped or its work profile removed."""
    return DeviceReported(
        org_id=device.org_id, report_id=report_id, device_id=device.device_id,
        kind=DeviceReportKind.UNENROLLED, platform=Platform.ANDROID,
        management_mode=ManagementMode(device.management_mode),
        identifiers=DeviceIdentifiers(platform_id=device.name), occurred_at=now,
    )
