"""What the lifecycle asks of a platform: one adapter per family behind one protocol."""

from __future__ import annotations

from typing import Protocol

from ssp_contracts.commands import CommandAuthorized
from ssp_contracts.enums import PlatformFamily

from command_dispatcher.lifecycle import Command


class Refusal(Exception):
    """The platform cannot carry out this command (e.g. no UnlockToken stored)."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


class PlatformAdapter(Protocol):
    family: PlatformFamily

    async def check(self, request: CommandAuthorized) -> None:
        """Raise Refusal when the platform cannot carry the command out at all."""

    async def on_queued(self, cmd: Command) -> None:
        """Make the device come for it (Apple push, Android API call, Windows push hint)."""
