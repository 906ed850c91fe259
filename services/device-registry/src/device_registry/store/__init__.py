"""The registry's MongoDB access: the only package that talks to the database."""

from device_registry.store.devices import DEVICES, DeviceStore
from device_registry.store.users import UserDirectory

__all__ = ["DEVICES", "DeviceStore", "UserDirectory"]
