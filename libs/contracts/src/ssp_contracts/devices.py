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
    serial_number: str | None = Field(None, max_length=64,
                                      description="Hardware serial number, as reported")
    imei: str | None = Field(None, max_length=32, description="IMEI of the device's modem")
    enrollment_token: str | None = Field(
        None, max_length=256, description="Token the device enrolled with (Android)")
    platform_id: str | None = Field(
        None, max_length=256, description="Platform's name, e.g. enterprises/x/devices/y"
    )


class DeviceInventory(Contract):
    """Fields a device reported; absent fields are unknown and leave stored values alone."""

    name: str | None = Field(None, max_length=200, description="Name the device's user gave it")
    model: str | None = Field(None, max_length=200, description="Hardware model, e.g. iPhone 15")
    os_version: str | None = Field(None, max_length=64, description="Operating system version")
    battery_level: float | None = Field(None, ge=0, le=1, description="0.0-1.0")
    storage_total_bytes: int | None = Field(None, ge=0, description="Storage capacity in bytes")
    storage_free_bytes: int | None = Field(None, ge=0, description="Free storage in bytes")
    lost_mode: bool | None = Field(None, description="Whether lost mode is on")


class DeviceReported(Event):
    event_type: ClassVar[str] = "ssp.device.reported.v1"

    report_id: EntityId = Field(description="Unique per report; redelivery is a no-op")
    device_id: EntityId
    kind: DeviceReportKind = Field(
        description="What happened: enrolled, checked in, sent inventory, unenrolled")
    platform: Platform = Field(description="The device's platform")
    management_mode: ManagementMode = Field(description="How the device is managed")
    identifiers: DeviceIdentifiers = Field(
        default_factory=DeviceIdentifiers, description="Identifiers the device reported")
    inventory: DeviceInventory = Field(default_factory=DeviceInventory,
                                       description="Inventory fields the device reported")
    occurred_at: datetime = Field(description="When the device reported it")
    identity_changed: bool = Field(
        False, description="An enrollment with another identity than the device's last one "
        "(after an erase, a CheckOut or a new profile): the registry keeps the owner link only "
        "if `identity_trusted` and the serial number is the one it knows")
    identity_trusted: bool = Field(
        True, description="The device's identity is vouched for (a configured enrollment CA "
        "issued it, or demo mode): only then may a reservation link it to a user")

    def subject(self) -> str:
        return self.device_id


class DeviceOwner(Contract):
    user_id: EntityId
    username: str | None = Field(None, description="The owner's username, for display")
    linked_at: datetime = Field(description="When the link was made")
    source: LinkSource = Field(description="What made the link: an admin, a CSV, a reservation")


WipeState = Literal["none", "pending", "wiped"]


class DeviceRecord(Contract):
    """What is known of a device: the snapshot's fields, and the registry's own record
    of the device (which adds its organisation)."""

    device_id: EntityId
    version: Version
    platform: Platform = Field(description="The device's platform")
    management_mode: ManagementMode = Field(description="How the device is managed")
    enrolled: bool = Field(True, description="False once the device unenrolled")
    identifiers: DeviceIdentifiers = Field(default_factory=DeviceIdentifiers,
                                           description="Every identifier known for it")
    name: str | None = Field(None, description="Name the device's user gave it")
    model: str | None = Field(None, description="Hardware model, e.g. iPhone 15")
    os_version: str | None = Field(None, description="Operating system version")
    battery_level: float | None = Field(None, ge=0, le=1, description="0.0-1.0")
    storage_total_bytes: int | None = Field(None, description="Storage capacity in bytes")
    storage_free_bytes: int | None = Field(None, description="Free storage in bytes")
    last_contact_at: datetime | None = Field(None, description="Its latest report")
    enrolled_at: datetime | None = Field(None, description="When it last enrolled")
    lost_mode: bool = Field(False, description="Whether lost mode is on")
    last_location: Location | None = Field(None, description="Newest location it reported")
    locked_at: datetime | None = Field(None, description="When its last lock was acknowledged")
    wipe_state: WipeState = Field(
        "none", description="pending while a wipe is under way, wiped once acknowledged")
    owner: DeviceOwner | None = Field(None, description="The user it is linked to, if any")


class DeviceSnapshot(DeviceRecord, Event):
    """The whole current state of a device (compacted topic; a null value deletes it)."""

    event_type: ClassVar[str] = "ssp.device.snapshot.v1"

    def subject(self) -> str:
        return self.device_id
