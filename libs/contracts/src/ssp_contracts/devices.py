"""Devices: what platform endpoints report, and the registry's published snapshot."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar, Literal

from pydantic import Field

from ssp_contracts.base import Contract, EntityId, Event, Version
from ssp_contracts.commands import Location
from ssp_contracts.enums import DeviceReportKind, LinkSource, ManagementMode, Platform


class DeviceIdentifiers(Contract):
    udid: str | None = Field(None, max_length=128, description="Apple UDID or EnrollmentID")
    serial_number: str | None = Field(None, max_length=64)
    imei: str | None = Field(None, max_length=32)
    enrollment_token: str | None = Field(None, max_length=256)
    platform_id: str | None = Field(
        None, max_length=256, description="Platform's name, e.g. enterprises/x/devices/y"
    )


class DeviceInventory(Contract):
    """Fields a device reported; absent fields are unknown and leave stored values alone."""

    name: str | None = Field(None, max_length=200)
    model: str | None = Field(None, max_length=200)
    os_version: str | None = Field(None, max_length=64)
    battery_level: float | None = Field(None, ge=0, le=1, description="0.0-1.0")
    storage_total_bytes: int | None = Field(None, ge=0)
    storage_free_bytes: int | None = Field(None, ge=0)
    lost_mode: bool | None = None


class DeviceReported(Event):
    event_type: ClassVar[str] = "ssp.device.reported.v1"

    report_id: EntityId = Field(description="Unique per report; redelivery is a no-op")
    device_id: EntityId
    kind: DeviceReportKind
    platform: Platform
    management_mode: ManagementMode
    identifiers: DeviceIdentifiers = Field(default_factory=DeviceIdentifiers)
    inventory: DeviceInventory = Field(default_factory=DeviceInventory)
    occurred_at: datetime

    def subject(self) -> str:
        return self.device_id


class DeviceOwner(Contract):
    user_id: EntityId
    username: str | None = None
    linked_at: datetime
    source: LinkSource


WipeState = Literal["none", "pending", "wiped"]


class DeviceRecord(Contract):
    """What is known of a device: the snapshot's fields, and the registry's own record
    of the device (which adds its organisation)."""

    device_id: EntityId
    version: Version
    platform: Platform
    management_mode: ManagementMode
    enrolled: bool = True
    identifiers: DeviceIdentifiers = Field(default_factory=DeviceIdentifiers)
    name: str | None = None
    model: str | None = None
    os_version: str | None = None
    battery_level: float | None = Field(None, ge=0, le=1)
    storage_total_bytes: int | None = None
    storage_free_bytes: int | None = None
    last_contact_at: datetime | None = None
    enrolled_at: datetime | None = None
    lost_mode: bool = False
    last_location: Location | None = None
    locked_at: datetime | None = None
    wipe_state: WipeState = "none"
    owner: DeviceOwner | None = None


class DeviceSnapshot(DeviceRecord, Event):
    """The whole current state of a device (compacted topic; a null value deletes it)."""

    event_type: ClassVar[str] = "ssp.device.snapshot.v1"

    def subject(self) -> str:
        return self.device_id
