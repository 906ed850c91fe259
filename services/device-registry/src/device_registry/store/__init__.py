"""The registry's MongoDB access: the only package that talks to the database."""

from device_registry.store.devices import DEVICES, IMPORT_MARK, DeviceStore, LinkChange, state_of
from device_registry.store.imports import ImportStore
from device_registry.store.users import UserDirectory

__all__ = ["DEVICES", "IMPORT_MARK", "DeviceStore", "ImportStore", "LinkChange",
           "UserDirectory", "state_of"]
