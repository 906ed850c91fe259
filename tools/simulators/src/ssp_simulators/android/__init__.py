"""A stand-in for the Android Management API: enterprises, devices and command operations.

Speaks AMAPI's REST shapes over real HTTP (a starlette app), validates Command bodies like
Google does and lets operations finish after a delay with realistic effects on the devices.
"""

from ssp_simulators.android.app import create_app
from ssp_simulators.android.devices import DeviceKind, SimulatedAndroidDevice, new_device
from ssp_simulators.android.state import AmapiState, Effect

__all__ = [
    "AmapiState", "DeviceKind", "Effect", "SimulatedAndroidDevice", "create_app", "new_device",
]
