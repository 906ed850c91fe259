"""The dispatcher's MongoDB access: the only package that talks to the database."""

from command_dispatcher.store.android_devices import AndroidDevice, AndroidDeviceStore
from command_dispatcher.store.apple_devices import AppleDevice, AppleDeviceStore
from command_dispatcher.store.commands import COMMANDS, CommandStore
from command_dispatcher.store.windows_devices import WindowsDevice, WindowsDeviceStore

__all__ = [
    "COMMANDS", "AndroidDevice", "AndroidDeviceStore", "AppleDevice", "AppleDeviceStore",
    "CommandStore", "WindowsDevice", "WindowsDeviceStore",
]
