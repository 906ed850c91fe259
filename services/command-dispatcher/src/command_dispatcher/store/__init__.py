"""The dispatcher's MongoDB access: the only package that talks to the database."""

from command_dispatcher.store.apple_devices import AppleDevice, AppleDeviceStore
from command_dispatcher.store.commands import COMMANDS, CommandStore

__all__ = ["COMMANDS", "AppleDevice", "AppleDeviceStore", "CommandStore"]
