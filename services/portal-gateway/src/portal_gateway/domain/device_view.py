"""A device as its owner sees it (JSON API and pages alike)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from pydantic import BaseModel, Field
from ssp_contracts.device_models import friendly_model
from ssp_contracts.devices import DeviceSnapshot
from ssp_contracts.enums import Action, LinkSource, ManagementMode, Permission, Platform
from ssp_contracts.policy import Requester

from portal_gateway.domain.actions import Availability, action_availability
from portal_gateway.domain.device_status import DeviceStatus, device_status


class LocationPublic(BaseModel):
    latitude: float
    longitude: float
    accuracy_m: float | None = None
    at: datetime
    map_url: str = Field(description="OpenStreetMap link to the position")


class OwnerPublic(BaseModel):
    user_id: str
    username: str | None = None
    linked_at: datetime
    source: LinkSource


class DevicePublic(BaseModel):
    id: str
    name: str | None = None
    label: str | None = Field(None, description="The owner's own name for the device (only "
                              "the owner and admins see it); `name` is the device's own")
    platform: Platform
    management_mode: ManagementMode
    model: str | None = Field(None, description="As the device reports it (\"iPhone15,4\")")
    model_name: str | None = Field(None, description="What people call it (\"iPhone 15\")")
    serial_number: str | None = None
    os_version: str | None = None
    battery_level: float | None = Field(None, description="0.0-1.0")
    storage_total_bytes: int | None = None
    storage_free_bytes: int | None = None
    last_contact_at: datetime | None = None
    lost_mode: bool = False
    status: DeviceStatus = Field(
        "active", description="What to tell first: active, lost_mode, never_contacted, "
        "wipe_pending, wiped (erased) or unenrolled (no longer managed)")
    last_location: LocationPublic | None = None
    owner: OwnerPublic | None = None
    allowed_actions: list[Action]
    unavailable_actions: dict[str, str] = Field(description="action -> why not, in words")


def map_url(latitude: float, longitude: float) -> str:
    return (f"https://www.openstreetmap.org/?mlat={latitude:.6f}&mlon={longitude:.6f}"
            f"#map=16/{latitude:.6f}/{longitude:.6f}")


def device_public(device: DeviceSnapshot, viewer: Requester, permissions: Iterable[Permission],
                  availability: Availability | None = None, *,
                  label: str | None = None) -> DevicePublic:
    available = availability or action_availability(device, viewer, permissions)
    loc = device.last_location
    return DevicePublic(
        id=device.device_id, name=device.name, label=label, platform=device.platform,
        management_mode=device.management_mode, model=device.model,
        model_name=friendly_model(device.model),
        serial_number=device.identifiers.serial_number, os_version=device.os_version,
        battery_level=device.battery_level, storage_total_bytes=device.storage_total_bytes,
        storage_free_bytes=device.storage_free_bytes, last_contact_at=device.last_contact_at,
        lost_mode=device.lost_mode, status=device_status(device),
        last_location=None if loc is None else LocationPublic(
            latitude=loc.latitude, longitude=loc.longitude, accuracy_m=loc.accuracy_m,
            at=loc.at, map_url=map_url(loc.latitude, loc.longitude)),
        owner=None if device.owner is None else OwnerPublic(**device.owner.model_dump()),
        allowed_actions=list(available.allowed),
        unavailable_actions=available.reasons(),
    )
