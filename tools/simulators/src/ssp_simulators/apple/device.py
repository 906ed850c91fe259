"""A simulated iPhone or Mac: fixed hardware facts, mutable MDM state and its check-in messages."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from ssp_simulators.apple.signing import DeviceCertificate

DEFAULT_TOPIC = "com.apple.mgmt.External.ssp-simulator"
# PayloadIdentifier of the enrollment profile the simulated devices install (the dispatcher's
# demo default names the same one): RemoveProfile with it ends management.
DEFAULT_MDM_PROFILE_IDENTIFIER = "org.ssp.demo.mdm"
_SERIAL_ALPHABET = "BCDFGHJKLMNPQRTVWXYZ0123456789"  # Apple's randomised 10-char serials


class DeviceKind(StrEnum):
    IPHONE = "iphone"
    MAC = "mac"


@dataclass
class DeviceState:
    """What commands change; an erase resets it to these defaults."""

    enrolled: bool = False
    lost_mode: bool = False
    lost_message: str | None = None
    lost_phone_number: str | None = None
    lost_footnote: str | None = None
    passcode_set: bool = True
    lock_count: int = 0
    sound_playing: bool = False
    configured: bool = False  # DeviceConfigured arrived (Setup Assistant may go on)


@dataclass(frozen=True)
class CommandRecord:
    command_uuid: str
    request_type: str
    status: str  # the Status the device reported
    executed: bool  # carried out (side effects applied); NotNow and errors are not
    at: datetime
    options: frozenset[str] = frozenset()  # the command's keys besides RequestType


@dataclass
class SimulatedDevice:
    kind: DeviceKind
    supervised: bool
    udid: str
    serial_number: str
    device_name: str
    model_name: str
    product_name: str
    model: str
    os_version: str
    build_version: str
    imei: str | None
    capacity_gb: float
    available_gb: float
    battery_level: float
    latitude: float
    longitude: float
    topic: str = DEFAULT_TOPIC
    certificate: DeviceCertificate | None = None
    push_token: bytes = b""
    push_magic: str = ""
    unlock_token: bytes | None = None
    state: DeviceState = field(default_factory=DeviceState)
    received: list[CommandRecord] = field(default_factory=list)
    retired_tokens: set[bytes] = field(default_factory=set)  # APNs answers 410 for these
    wipe_count: int = 0
    # User Enrollment: the device shows the server an EnrollmentID (kept in `udid`), never
    # its UDID (Apple's authenticate.yaml: UDID "userenrollment: forbidden").
    user_enrollment: bool = False
    # Enrolled in Setup Assistant: TokenUpdate says AwaitingConfiguration until DeviceConfigured.
    awaiting_configuration: bool = False
    # An older Mac (no T2, no Apple silicon) needs a Find My PIN to lock or erase.
    needs_pin: bool = False
    # A logged-in user with its own MDM channel (macOS user channel): UserID, push credentials,
    # and what arrived on that channel.
    user_id: str | None = None
    user_push_token: bytes = b""
    user_push_magic: str = ""
    user_received: list[CommandRecord] = field(default_factory=list)
    # The enrollment CA that issues this device's identities (None: self-signed ones).
    identity_issuer: DeviceCertificate | None = None
    # The enrollment profile: its PayloadIdentifier, and its CheckOutWhenRemoved key.
    mdm_profile_identifier: str = DEFAULT_MDM_PROFILE_IDENTIFIER
    check_out_when_removed: bool = True
    unenroll_count: int = 0  # times the server removed the enrollment profile

    @property
    def platform(self) -> str:
        """The contracts' Platform value."""
        return "ios" if self.kind is DeviceKind.IPHONE else "macos"

    def identity(self) -> DeviceCertificate:
        if self.certificate is None:  # created lazily: RSA key generation is the slow part
            self.certificate = DeviceCertificate.create(self.udid, issuer=self.identity_issuer)
        return self.certificate

    @property
    def identifier(self) -> dict[str, str]:
        """How every message names the device: its UDID, or its EnrollmentID."""
        return {"EnrollmentID" if self.user_enrollment else "UDID": self.udid}

    def new_identity(self) -> None:
        """A new identity certificate, as a new enrollment profile (or an erase) brings."""
        self.certificate = None

    def new_push_credentials(self, rng: random.Random) -> None:
        self._retire_token()
        self.push_token = rng.randbytes(32)
        self.push_magic = str(uuid.UUID(int=rng.getrandbits(128), version=4)).upper()
        if self.user_id is not None:
            self.user_push_token = rng.randbytes(32)
            self.user_push_magic = str(uuid.UUID(int=rng.getrandbits(128), version=4)).upper()
        # Only iOS escrows an UnlockToken (ClearPasscode does not exist on macOS).
        self.unlock_token = rng.randbytes(64) if self.kind is DeviceKind.IPHONE else None

    def erase(self) -> None:
        """After EraseDevice: factory state, no MDM enrollment, new identity on re-enrollment."""
        self.state = DeviceState()
        self.certificate = None
        self._retire_token()
        self.push_token, self.push_magic, self.unlock_token = b"", "", None
        self.wipe_count += 1

    def remove_management(self) -> None:
        """After RemoveProfile of the enrollment profile: no MDM enrollment and no push token,
        everything else (the user's data, passcode, lost mode screen) as it was."""
        self.state.enrolled = False
        self._retire_token()
        self.push_token, self.push_magic, self.unlock_token = b"", "", None
        self.unenroll_count += 1

    def _retire_token(self) -> None:
        for token in (self.push_token, self.user_push_token):
            if token:
                self.retired_tokens.add(token)

    def executed_twice(self) -> set[str]:
        """CommandUUIDs this device carried out more than once (a server bug if non-empty)."""
        seen: set[str] = set()
        twice: set[str] = set()
        for record in self.received:
            if record.executed:
                (twice if record.command_uuid in seen else seen).add(record.command_uuid)
        return twice

    def authenticate_message(self) -> dict[str, Any]:
        message = {
            "MessageType": "Authenticate", "Topic": self.topic, **self.identifier,
            "DeviceName": self.device_name, "Model": self.model, "ModelName": self.model_name,
            "ProductName": self.product_name, "OSVersion": self.os_version,
            "BuildVersion": self.build_version,
        }
        if self.user_enrollment:  # no hardware identifiers in User Enrollment
            return message
        return message | {"SerialNumber": self.serial_number} | (
            {"IMEI": self.imei} if self.imei else {})

    def token_update_message(self) -> dict[str, Any]:
        message: dict[str, Any] = {
            "MessageType": "TokenUpdate", "Topic": self.topic, **self.identifier,
            "Token": self.push_token, "PushMagic": self.push_magic,
            "AwaitingConfiguration": self.awaiting_configuration and not self.state.configured,
        }
        return message | ({"UnlockToken": self.unlock_token} if self.unlock_token else {})

    def user_token_update_message(self) -> dict[str, Any]:
        """The user channel's TokenUpdate (macOS): the user's own Token and PushMagic."""
        assert self.user_id is not None
        return {"MessageType": "TokenUpdate", "Topic": self.topic, **self.identifier,
                "UserID": self.user_id, "UserShortName": "sim", "UserLongName": "Simulated User",
                "NotOnConsole": False, "Token": self.user_push_token,
                "PushMagic": self.user_push_magic}

    def checkout_message(self) -> dict[str, Any]:
        return {"MessageType": "CheckOut", "Topic": self.topic, **self.identifier}


def _serial(rng: random.Random) -> str:
    return "".join(rng.choice(_SERIAL_ALPHABET) for _ in range(10))


def _imei(rng: random.Random) -> str:
    digits = [rng.randrange(10) for _ in range(14)]
    # Luhn check digit, so the IMEI passes the validation real inventories run.
    doubled = (d if i % 2 == 0 else (d * 2 - 9 if d > 4 else d * 2) for i, d in enumerate(digits))
    total = sum(doubled)
    return "".join(map(str, digits)) + str((10 - total % 10) % 10)


def new_iphone(
    rng: random.Random, *, supervised: bool, topic: str = DEFAULT_TOPIC
) -> SimulatedDevice:
    capacity = rng.choice((119.1, 238.3, 476.9))
    return SimulatedDevice(
        kind=DeviceKind.IPHONE, supervised=supervised,
        udid=f"00008110-{rng.getrandbits(64):016X}", serial_number=_serial(rng),
        device_name=f"iPhone {rng.randrange(100, 999)}", model_name="iPhone",
        product_name="iPhone15,2", model="MQ9X3", os_version="17.5.1", build_version="21F90",
        imei=_imei(rng), capacity_gb=capacity,
        available_gb=round(capacity * rng.uniform(0.1, 0.8), 2),
        battery_level=round(rng.uniform(0.15, 1.0), 2),
        latitude=round(rng.uniform(48.05, 48.25), 6), longitude=round(rng.uniform(11.4, 11.7), 6),
        topic=topic,
    )


def new_mac(rng: random.Random, *, topic: str = DEFAULT_TOPIC,
            user_enrollment: bool = False) -> SimulatedDevice:
    return SimulatedDevice(
        kind=DeviceKind.MAC, supervised=False, user_enrollment=user_enrollment,
        udid=str(uuid.UUID(int=rng.getrandbits(128), version=4)).upper(),
        serial_number=_serial(rng), device_name=f"MacBook Air {rng.randrange(100, 999)}",
        model_name="MacBook Air", product_name="Mac14,2", model="Mac14,2", os_version="14.5",
        build_version="23F79", imei=None, capacity_gb=494.38,
        available_gb=round(rng.uniform(40, 400), 2), battery_level=round(rng.uniform(0.15, 1.0), 2),
        latitude=0.0, longitude=0.0, topic=topic,
    )
