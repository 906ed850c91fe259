"""One-time passcodes: which command results carry one, and who may see it when.

A reset_passcode on Android or Windows ends `acknowledged` with the new passcode sealed to the
gateway's public key. The gateway keeps that sealed value as received and opens it once, for
the user who requested the command, while the device is still theirs. After that (or after
the keep period) only the fact that it existed remains.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from ssp_contracts.commands import CommandStatusChanged
from ssp_contracts.enums import Action, CommandStatus

from portal_gateway.domain.access import Caller
from portal_gateway.domain.command_view import CommandPublic, is_pending
from portal_gateway.domain.errors import Conflict, Gone, NotFound, Unavailable


@dataclass(frozen=True)
class StoredPasscode:
    command_id: str
    org_id: str
    device_id: str
    requested_by: str
    acknowledged_at: datetime
    sealed: str | None  # None once shown or expired
    revealed_at: datetime | None = None


def carries_passcode(event: CommandStatusChanged) -> bool:
    return (event.action is Action.RESET_PASSCODE
            and event.status is CommandStatus.ACKNOWLEDGED
            and event.result is not None and bool(event.result.sealed_secret))


def is_expired(stored: StoredPasscode, keep_for: timedelta, now: datetime) -> bool:
    return stored.acknowledged_at + keep_for <= now


def is_revealable(stored: StoredPasscode, keep_for: timedelta, now: datetime) -> bool:
    return (stored.sealed is not None and stored.revealed_at is None
            and not is_expired(stored, keep_for, now))


def command_not_found() -> NotFound:
    return NotFound("command.not_found", "No such command among yours.")


def check_revealable(caller: Caller, command: CommandPublic | None,
                     stored: StoredPasscode | None, *, device_is_theirs: bool,
                     keep_for: timedelta, now: datetime) -> StoredPasscode:
    """The stored passcode the caller may see now, or the error that says why not."""
    if command is None or command.requested_by != caller.user_id or not device_is_theirs:
        raise command_not_found()  # someone else's command does not exist for the caller
    if command.action is not Action.RESET_PASSCODE:
        raise NotFound("secret.not_found", "This command has no passcode to show.")
    if command.status is not CommandStatus.ACKNOWLEDGED:
        waiting = is_pending(command.status)
        raise Conflict("secret.not_ready" if waiting else "secret.not_available",
                       "The device has not confirmed the new passcode yet." if waiting else
                       f"The command ended {command.status.value}; no passcode was set.",
                       command_status=command.status.value)
    if stored is None:
        raise NotFound("secret.not_found",
                       "The device reported no new passcode (it may have removed it instead).")
    if stored.revealed_at is not None:
        raise already_revealed()
    if stored.sealed is None or is_expired(stored, keep_for, now):
        raise Gone("secret.expired", "The new passcode is no longer kept; reset it again.")
    return stored


def already_revealed() -> Gone:
    return Gone("secret.already_revealed",
                "The new passcode was already shown once; it is not kept.")


def no_opening_key() -> Unavailable:
    return Unavailable("secret.no_key",
                       "This portal is not set up to show new passcodes. Ask your administrator.")


def cannot_open() -> Unavailable:
    return Unavailable("secret.cannot_open",
                       "The new passcode cannot be opened with this portal's key. Ask your "
                       "administrator.")
