"""The Windows family's side of the lifecycle: refuse what OMA-DM cannot do, then wait.

Commands go out in the device's next OMA-DM session (windows_session.py). Nothing wakes the
device yet: WNS push is not implemented, so a command waits for the device's own schedule
(Windows polls every few hours by default) or expires.
"""

from __future__ import annotations

import itertools

from ssp_contracts.commands import CommandAuthorized
from ssp_contracts.enums import PlatformFamily

from command_dispatcher.adapters import Refusal
from command_dispatcher.lifecycle import Command
from command_dispatcher.store import WindowsDeviceStore
from command_dispatcher.windows.commands import build_commands
from command_dispatcher.windows.errors import Unsupported


class WindowsAdapter:
    family = PlatformFamily.WINDOWS

    def __init__(self, devices: WindowsDeviceStore, *, wipe_node: str,
                 provider_id: str | None = None) -> None:
        self.devices = devices
        self.wipe_node = wipe_node
        self.provider_id = provider_id

    async def check(self, request: CommandAuthorized) -> None:
        try:  # building is pure and cheap: the surest test of "is there an OMA-DM command"
            build_commands(request.action, itertools.count(1), wipe=self.wipe_node,
                           provider_id=self.provider_id)
        except Unsupported as exc:
            raise Refusal(exc.code, exc.message) from exc
        device = await self.devices.get(request.device_id)
        if device is None or not device.enrolled:
            raise Refusal("device.not_enrolled",
                          "The device has not opened a management session with this server.")

    async def on_queued(self, cmd: Command) -> None:
        """Nothing to do until the device's next session (no WNS push yet)."""
