"""Simulated Android devices and the AMAPI Device resources Google would return for them."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

# (manufacturer, brand, hardware, model, total storage in bytes)
_MODELS = (
    ("Google", "google", "shiba", "Pixel 8", 128_000_000_000),
    ("Google", "google", "lynx", "Pixel 7a", 128_000_000_000),
    ("samsung", "samsung", "kalama", "SM-S911B", 256_000_000_000),
    ("samsung", "samsung", "s5e8835", "SM-A546B", 128_000_000_000),
)


class DeviceKind(StrEnum):
    FULLY_MANAGED = "fully_managed"
    WORK_PROFILE_PERSONAL = "work_profile_personal"
    WORK_PROFILE_COMPANY = "work_profile_company"

    @property
    def management_mode(self) -> str:
        return "DEVICE_OWNER" if self is DeviceKind.FULLY_MANAGED else "PROFILE_OWNER"

    @property
    def ownership(self) -> str:
        return "PERSONALLY_OWNED" if self is DeviceKind.WORK_PROFILE_PERSONAL else "COMPANY_OWNED"


def rfc3339(when: datetime) -> str:
    return when.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass
class SimulatedAndroidDevice:
    name: str  # enterprises/{e}/devices/{d}
    kind: DeviceKind
    manufacturer: str
    brand: str
    hardware: str
    model: str
    serial_number: str
    imei: str
    api_level: int
    total_storage: int
    free_storage: int
    battery_percent: int
    enrolled_at: datetime
    last_report_at: datetime
    enrollment_token_data: str | None = None
    applied_state: str = "ACTIVE"
    password: str | None = field(default=None, repr=False)  # last RESET_PASSWORD, never shown
    lost_mode_ended_at: datetime | None = None
    password_reset_at: datetime | None = None
    lock_count: int = 0

    def resource(self) -> dict[str, Any]:
        """The Device resource as devices.get returns it (status reporting fully enabled)."""
        enterprise = self.name.split("/devices/")[0]
        measured = rfc3339(self.last_report_at)
        hardware: dict[str, Any] = {
            "brand": self.brand, "hardware": self.hardware, "manufacturer": self.manufacturer,
            "model": self.model, "deviceBasebandVersion": f"g5300-{self.api_level}0801",
        }
        network: dict[str, Any] = {"wifiMacAddress": "02:00:00:00:00:00"}
        if self.kind is not DeviceKind.WORK_PROFILE_PERSONAL:
            # A personally owned device does not reveal hardware identifiers to its EMM.
            hardware["serialNumber"] = self.serial_number
            network |= {"imei": self.imei, "networkOperatorName": "Telekom.de"}
        device: dict[str, Any] = {
            "name": self.name,
            "managementMode": self.kind.management_mode,
            "ownership": self.kind.ownership,
            "state": "ACTIVE",
            "appliedState": self.applied_state,
            "policyCompliant": True,
            "policyName": f"{enterprise}/policies/default",
            "appliedPolicyName": f"{enterprise}/policies/default",
            "appliedPolicyVersion": "3",
            "apiLevel": self.api_level,
            "enrollmentTime": rfc3339(self.enrolled_at),
            "lastStatusReportTime": measured,
            "lastPolicySyncTime": measured,
            "userName": f"{enterprise}/users/u{self.name.rsplit('/', 1)[1][:10]}",
            "hardwareInfo": hardware,
            "softwareInfo": {
                "androidVersion": str(self.api_level - 20),  # API 34 is Android 14
                "androidBuildNumber": "AP2A.240805.005",
                "securityPatchLevel": "2024-08-05",
                "androidDevicePolicyVersionCode": 4402,
                "androidDevicePolicyVersionName": "122.44.1",
                "primaryLanguageCode": "en-US",
            },
            "memoryInfo": {
                "totalRam": "8589934592", "totalInternalStorage": str(self.total_storage)
            },
            "memoryEvents": [
                {"eventType": "RAM_MEASURED", "createTime": measured, "byteCount": "3221225472"},
                {"eventType": "INTERNAL_STORAGE_MEASURED", "createTime": measured,
                 "byteCount": str(self.free_storage)},
            ],
            "powerManagementEvents": [
                {"eventType": "BOOT_COMPLETED", "createTime": rfc3339(self.enrolled_at)},
                {"eventType": "BATTERY_LEVEL_COLLECTED", "createTime": measured,
                 "batteryLevel": self.battery_percent},
            ],
            "networkInfo": network,
        }
        if self.enrollment_token_data:
            device["enrollmentTokenData"] = self.enrollment_token_data
        return device


def _digits(rng: random.Random, count: int) -> str:
    return "".join(str(rng.randrange(10)) for _ in range(count))


def new_device(
    rng: random.Random, kind: DeviceKind, enterprise: str, *, now: datetime | None = None
) -> SimulatedAndroidDevice:
    now = now or datetime.now(UTC)
    manufacturer, brand, hardware, model, storage = rng.choice(_MODELS)
    return SimulatedAndroidDevice(
        name=f"{enterprise}/devices/{rng.getrandbits(64):016x}",
        kind=kind, manufacturer=manufacturer, brand=brand, hardware=hardware, model=model,
        serial_number=f"{rng.getrandbits(48):012X}", imei="35" + _digits(rng, 13),
        api_level=34, total_storage=storage,
        free_storage=int(storage * rng.uniform(0.1, 0.7)),
        battery_percent=rng.randrange(15, 101),
        enrolled_at=now - timedelta(days=rng.randrange(1, 400)),
        last_report_at=now - timedelta(minutes=rng.randrange(1, 90)),
    )
