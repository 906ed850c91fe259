"""Errors of the Apple protocol layer, each with a stable code; the edge picks HTTP codes."""

from __future__ import annotations


class AppleMdmError(Exception):
    """Base of every error this package raises on purpose."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class ProtocolError(AppleMdmError):
    """The device sent something that is not a valid MDM message (edge: 400; too large: 413)."""


class IdentityError(AppleMdmError):
    """The request does not prove which device sent it (edge: 400, never 401: see metrics)."""


class Unsupported(AppleMdmError):
    """The action cannot be expressed as an Apple command for this device (permanent failure)."""


class InvalidParameters(AppleMdmError):
    """The action's parameters are not enough for the Apple command (permanent failure)."""
