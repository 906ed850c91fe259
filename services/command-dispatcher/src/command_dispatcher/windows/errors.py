"""Errors of the Windows layer, each with a stable code; the edge picks HTTP codes."""

from __future__ import annotations


class WindowsMdmError(Exception):
    """Base of every error this package raises on purpose."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class ProtocolError(WindowsMdmError):
    """The device sent something that is not a valid SyncML message (edge: 400; too large: 413)."""


class IdentityError(WindowsMdmError):
    """The request does not prove which device sent it (edge: 401)."""


class Unsupported(WindowsMdmError):
    """The action has no OMA-DM command on Windows (permanent failure)."""
