"""A command and its history as the requester and the device owner see it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel
from ssp_contracts.commands import CommandParams
from ssp_contracts.devices import DeviceSnapshot
from ssp_contracts.enums import TERMINAL_STATUSES, Action, CommandStatus

PENDING_STATUSES = frozenset(CommandStatus) - TERMINAL_STATUSES


class StatusStep(BaseModel):
    status: CommandStatus
    version: int
    at: datetime
    reason_code: str | None = None
    reason: str | None = None


class CommandPublic(BaseModel):
    command_id: str
    device_id: str
    action: Action
    status: CommandStatus
    requested_by: str
    requested_at: datetime | None = None
    updated_at: datetime | None = None
    reason_code: str | None = None
    reason: str | None = None
    result: dict[str, Any] | None = None
    history: list[StatusStep] = []


class LostModeContact(BaseModel):
    """What a device in lost mode shows on its lock screen, as its owner asked."""

    message: str | None = None
    phone_number: str | None = None
    footnote: str | None = None


def lost_mode_contact(params: CommandParams) -> LostModeContact:
    return LostModeContact(message=params.message, phone_number=params.phone_number,
                           footnote=params.footnote)


def is_pending(status: CommandStatus | str) -> bool:
    return CommandStatus(status) in PENDING_STATUSES


def ordered_history(steps: list[StatusStep]) -> list[StatusStep]:
    """Steps arrive in any order (replays, retries); versions order them."""
    return sorted(steps, key=lambda s: (s.version, s.at))


def is_since_link(command: CommandPublic, device: DeviceSnapshot) -> bool:
    """A device's owner sees commands from after the device was linked to them, not a
    previous owner's (their results may hold a location)."""
    if device.owner is None:
        return False
    when = command.requested_at or command.updated_at
    return when is not None and when >= device.owner.linked_at
