"""Accounts as the rest of the system sees them (never with a password hash)."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from ssp_contracts.base import Contract, EntityId, Event, Version
from ssp_contracts.enums import Permission


class RoleRef(Contract):
    role_id: EntityId
    name: str = Field(description="The role's name, for display")


class UserAccess(Event):
    """A user's account state and effective permissions (compacted topic)."""

    event_type: ClassVar[str] = "ssp.user.access.v1"

    user_id: EntityId
    version: Version
    username: str = Field(description="Login name, unique in the organisation")
    display_name: str | None = Field(None, description="Name shown in the portal")
    email: str | None = Field(None, description="E-mail address, if known")
    locale: Literal["en", "de"] = Field("en", description="Language of the portal's pages")
    enabled: bool = Field(True, description="False: the user may not log in or act")
    deleted: bool = Field(False, description="The account is gone; its sessions end")
    roles: list[RoleRef] = Field(default_factory=list, description="Roles the user holds")
    permissions: list[Permission] = Field(
        default_factory=list, description="Effective permissions: the union of the roles'")

    def subject(self) -> str:
        return self.user_id
