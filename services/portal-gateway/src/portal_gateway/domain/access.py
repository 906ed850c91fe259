"""Who is calling, and whether they may use the portal at all."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from ssp_contracts.enums import SELF_SERVICE_PERMISSIONS, Permission

Missing = Literal["permission", "device"]


@dataclass(frozen=True)
class Caller:
    """The authenticated user of one request (identity from the session, rights from ssp.access)."""

    user_id: str
    org_id: str
    username: str
    permissions: frozenset[Permission]
    display_name: str | None = None
    locale: str = "en"
    session_hash: str = ""
    csrf_token: str = ""
    reauthenticated_at: datetime | None = None

    @property
    def is_admin(self) -> bool:
        return Permission.ADMIN in self.permissions

    # The command policy's `Requester`: a session exists only for an account that is there and
    # enabled (disabling or deleting one ends its sessions).
    @property
    def enabled(self) -> bool:
        return True

    @property
    def deleted(self) -> bool:
        return False


@dataclass(frozen=True)
class PortalAccess:
    granted: bool
    missing: tuple[Missing, ...]


def known_permissions(values: Iterable[str]) -> frozenset[Permission]:
    """Permissions we understand; unknown strings (newer producers) are ignored, not fatal."""
    known = {p.value for p in Permission}
    return frozenset(Permission(v) for v in values if v in known)


def portal_access(permissions: Iterable[Permission], linked_devices: int) -> PortalAccess:
    """The portal needs a self-service permission AND a linked device; say which is missing."""
    missing: list[Missing] = []
    if not SELF_SERVICE_PERMISSIONS & set(permissions):
        missing.append("permission")
    if linked_devices < 1:
        missing.append("device")
    return PortalAccess(granted=not missing, missing=tuple(missing))


def account_usable(*, enabled: bool, deleted: bool) -> bool:
    return enabled and not deleted
