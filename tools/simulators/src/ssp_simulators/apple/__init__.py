"""Simulated Apple devices (supervised and unsupervised iPhones, Macs) speaking real Apple MDM.

Check-in and `connect` go over HTTP to the server, every body signed into `Mdm-Signature`;
pushes arrive at a local stand-in APNs (`AppleFleet.apns_url`) that wakes the device.
"""

from ssp_simulators.apple.device import DeviceKind, SimulatedDevice
from ssp_simulators.apple.fleet import AppleFleet
from ssp_simulators.apple.session import Behaviour

__all__ = ["AppleFleet", "Behaviour", "DeviceKind", "SimulatedDevice"]
