"""The events a change emits: the user's `UserAccess` snapshot and an `AuditRecord`."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime

from ssp_contracts.access import RoleRef, UserAccess
from ssp_contracts.audit import AuditRecord

from permission_service.domain.accounts import Account
from permission_service.domain.roles import Role, effective_permissions

# Namespace of deterministic audit ids (uuid5): the same change always gets the same id.
_AUDIT_NAMESPACE = uuid.UUID("5b0c8f0e-3f8c-4d5e-9a52-7c1c0b6f4a11")


def access_snapshot(account: Account, roles: Mapping[str, Role]) -> UserAccess:
    """What the rest of the system may know about `account` (never the password hash).

    Role ids missing from `roles` (a deleted custom role) or from another org grant nothing.
    A disabled or deleted account carries no permissions at all, so a consumer that only
    looks at `permissions` still fails closed.
    """
    held = [
        roles[role_id] for role_id in account.role_ids
        if role_id in roles and roles[role_id].visible_to(account.org_id)
    ]
    active = account.enabled and not account.deleted
    return UserAccess(
        org_id=account.org_id,
        user_id=account.user_id,
        version=account.version,
        username=account.username,
        display_name=account.display_name,
        email=account.email,
        locale=account.locale,
        enabled=account.enabled,
        deleted=account.deleted,
        roles=[RoleRef(role_id=r.role_id, name=r.name) for r in held],
        permissions=sorted(effective_permissions(held)) if active else [],
    )


def audit_record(
    *, org_id: str, actor: str, action: str, now: datetime, dedupe_key: str,
    user_id: str | None = None, detail: str | None = None,
) -> AuditRecord:
    """A succeeded admin action. `dedupe_key` names the change (e.g. user id + new version)
    so a redelivered request yields the same `audit_id` and the trail holds it once.
    """
    audit_id = uuid.uuid5(_AUDIT_NAMESPACE, f"{org_id}/{action}/{dedupe_key}")
    return AuditRecord(
        org_id=org_id, audit_id=str(audit_id), actor=actor, action=action,
        outcome="succeeded", user_id=user_id, detail=detail, occurred_at=now,
    )


def account_audit(
    account: Account, *, actor: str, action: str, now: datetime, detail: str | None = None
) -> AuditRecord:
    """An audit record about `account` after a change (keyed by its new version)."""
    return audit_record(
        org_id=account.org_id, actor=actor, action=action, now=now,
        dedupe_key=f"{account.user_id}/{account.version}", user_id=account.user_id, detail=detail,
    )
