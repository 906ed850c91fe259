"""Domain errors of the device-registry: a small hierarchy with stable codes.

Every one of them is permanent (retrying the same input gives the same answer), so a
consumer records the failure and commits; the gateway maps `code` to a problem detail.
"""

from __future__ import annotations


class DomainError(Exception):
    """A rule of the registry said no; `code` is stable, `message` is for people."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class DeviceMismatch(DomainError):
    """An event about one device (or tenant) was folded into another's state: a wiring bug."""
