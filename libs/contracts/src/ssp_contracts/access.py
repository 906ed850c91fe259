"""Accounts as the rest of the system sees them (never with a password hash)."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from ssp_contracts.base import Contract, EntityId, Event, Version
from ssp_contracts.enums import Permission


class RoleRef(Contract):
    role_id: EntityId
    name: str


class UserAccess(Event):
    """A user's account state and effective permissions (compacted topic)."""

    event_type: ClassVar[str] = "ssp.user.access.v1"

    user_id: EntityId
    version: Version
    username: str
    display_name: str | None = None
    email: str | None = None
    locale: Literal["en", "de"] = "en"
    enabled: bool = True
    deleted: bool = False
    roles: list[RoleRef] = Field(default_factory=list)
    permissions: list[Permission] = Field(default_factory=list)

    def subject(self) -> str:
        return self.user_id
