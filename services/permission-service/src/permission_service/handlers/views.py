"""What admin replies show of accounts and roles (never a password hash)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from permission_service.domain.access_events import access_snapshot
from permission_service.domain.accounts import Account
from permission_service.domain.roles import Role


def user_view(account: Account, roles: Mapping[str, Role]) -> dict[str, Any]:
    snapshot = access_snapshot(account, roles)
    return {
        "user_id": account.user_id, "org_id": account.org_id, "username": account.username,
        "display_name": account.display_name, "email": account.email,
        "locale": account.locale, "enabled": account.enabled,
        "external_subject": account.external_subject,
        "has_password": account.password_hash is not None,
        "role_ids": list(account.role_ids),
        "roles": [r.model_dump() for r in snapshot.roles],
        "permissions": [p.value for p in snapshot.permissions],
        "version": account.version,
    }


def role_view(role: Role) -> dict[str, Any]:
    return role.model_dump(mode="json")
