"""A simulated Windows 11 laptop: hardware facts, CSP node values and what commands changed."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime

from ssp_simulators.windows.certificate import DeviceCertificate

# (DevInfo/Man, DevInfo/Mod): what real machines report there.
_MODELS = (
    ("Microsoft Corporation", "Surface Laptop 5"),
    ("Dell Inc.", "Latitude 7440"),
    ("LENOVO", "21HD003AGE"),
)
_LOCATION = "./Vendor/MSFT/RemoteFind/Location/"
_BATTERY = "./Vendor/MSFT/DeviceStatus/Battery/"


# The ProviderID of the simulated enrollment (the dispatcher's demo default names the same).
DEFAULT_PROVIDER_ID = "ssp-demo"


@dataclass(frozen=True)
class Executed:
    """One server command as the device handled it: `code` is the Status it answered."""

    verb: str
    target: str
    code: str
    session_id: str
    at: datetime


@dataclass
class SimulatedWindowsDevice:
    device_id: str  # DevInfo/DevId, the Source LocURI of every message
    manufacturer: str
    model: str
    device_name: str
    serial_number: str
    os_version: str
    battery_percent: int | None  # None: a desktop without battery (nodes answer 404)
    latitude: float
    longitude: float
    location_enabled: bool = True  # Windows location services; off makes RemoteFind fail
    pin: str | None = field(default=None, repr=False)  # Windows Hello PIN; None: no PIN set
    new_pin_value: str | None = field(default=None, repr=False)  # readable once (RemoteLock)
    wiped: bool = False
    unenrolled: bool = False  # the user removed the work account (Alert 1226), or the server
    unenrolled_by_server: bool = False  # DMClient's Unenroll ran (server-initiated unenrollment)
    provider_id: str = DEFAULT_PROVIDER_ID  # the ProviderID the device was enrolled with
    wipe_node: str | None = None
    history: list[Executed] = field(default_factory=list)
    sessions: int = 0  # sessions opened so far; the next SessionID is this + 1
    certificate: DeviceCertificate | None = None

    def identity(self) -> DeviceCertificate:
        if self.certificate is None:
            self.certificate = DeviceCertificate.create(self.device_id)
        return self.certificate

    def dev_info(self) -> dict[str, str]:
        """What the device reports in the Replace that opens each session."""
        return {
            "./DevInfo/DevId": self.device_id, "./DevInfo/Man": self.manufacturer,
            "./DevInfo/Mod": self.model, "./DevInfo/DmV": "1.3", "./DevInfo/Lang": "en-US",
        }

    def read(self, node: str) -> str | None:
        """A node's value for Get; None: the node does not exist here (404)."""
        values = self.dev_info() | {
            "./DevDetail/SwV": self.os_version,
            "./DevDetail/Ext/Microsoft/SMBIOSSerialNumber": self.serial_number,
            "./DevDetail/Ext/Microsoft/DeviceName": self.device_name,
        }
        if self.battery_percent is not None:
            values[_BATTERY + "EstimatedChargeRemaining"] = str(self.battery_percent)
            values[_BATTERY + "Status"] = "2"  # Win32_Battery BatteryStatus 2: on AC power
        if node == "./Vendor/MSFT/RemoteLock/NewPINValue":
            value, self.new_pin_value = self.new_pin_value, None  # null after the first read
            return value or ""
        if node.startswith(_LOCATION) and self.location_enabled:
            values |= {
                _LOCATION + "Latitude": f"{self.latitude:.6f}",
                _LOCATION + "Longitude": f"{self.longitude:.6f}",
                _LOCATION + "Accuracy": "35", _LOCATION + "Altitude": "519",
                _LOCATION + "Age": "300000000",  # 30 s, in 100-ns units
            }
        return values.get(node)

    def reset_pin(self, rng: random.Random) -> bool:
        """LockAndResetPIN: False when there is no PIN to reset (the CSP then answers 405)."""
        if self.pin is None:
            return False
        self.pin = "".join(str(rng.randrange(10)) for _ in range(6))
        self.new_pin_value = self.pin
        return True

    def record(self, verb: str, target: str, code: str, session_id: str) -> None:
        self.history.append(Executed(verb, target, code, session_id, datetime.now(UTC)))


def new_laptop(rng: random.Random) -> SimulatedWindowsDevice:
    manufacturer, model = rng.choice(_MODELS)
    suffix = "".join(rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ0123456789") for _ in range(7))
    return SimulatedWindowsDevice(
        device_id=f"{rng.getrandbits(128):032X}", manufacturer=manufacturer, model=model,
        device_name=f"DESKTOP-{suffix}", serial_number=f"{rng.getrandbits(40):010X}",
        os_version="10.0.22631.3880", battery_percent=rng.randrange(10, 101),
        latitude=round(rng.uniform(48.05, 48.25), 6), longitude=round(rng.uniform(11.4, 11.7), 6),
        pin="".join(str(rng.randrange(10)) for _ in range(6)),
    )
