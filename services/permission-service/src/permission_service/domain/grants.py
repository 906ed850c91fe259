"""Granting and revoking roles on an account (the "grants" this service owns).

Like every account change, each function returns the new state plus the snapshot and audit
records to emit, and a request that changes nothing returns no events.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

from ssp_contracts.base import Event
from ssp_contracts.enums import Permission

from permission_service.domain.access_events import access_snapshot, account_audit
from permission_service.domain.account_changes import AccountChange, advance, ensure_current
from permission_service.domain.accounts import Account
from permission_service.domain.errors import Forbidden, ValidationProblem
from permission_service.domain.roles import Role, effective_permissions, unknown_role_problems


def grant_roles(
    account: Account, role_ids: Iterable[str], *, roles: Mapping[str, Role], actor: str,
    now: datetime,
) -> AccountChange:
    """Add roles (built-ins or the org's own); roles already held are ignored."""
    return set_roles(account, {*account.role_ids, *role_ids}, roles=roles, actor=actor, now=now)


def revoke_roles(
    account: Account, role_ids: Iterable[str], *, roles: Mapping[str, Role], actor: str,
    now: datetime,
) -> AccountChange:
    """Remove roles; ids the account does not hold are ignored."""
    removing = set(role_ids)
    kept = [r for r in account.role_ids if r not in removing]
    return set_roles(account, kept, roles=roles, actor=actor, now=now)


def set_roles(
    account: Account, role_ids: Iterable[str], *, roles: Mapping[str, Role], actor: str,
    now: datetime, expected_version: int | None = None,
) -> AccountChange:
    """Make `role_ids` exactly the account's roles (the admin API's `set_roles`).

    Audited as `granted_roles` and/or `revoked_roles`, one record each, so the trail reads the
    same whichever of the three functions made the change.
    """
    ensure_current(account, expected_version)
    wanted = set(role_ids)
    added = sorted(wanted - set(account.role_ids))
    removed = sorted(set(account.role_ids) - wanted)
    ValidationProblem.raise_if_any(unknown_role_problems(added, account.org_id, roles))
    if not added and not removed:
        return AccountChange(account)
    if actor == account.user_id and _is_admin(account.role_ids, roles) \
            and not _is_admin(wanted, roles):
        raise Forbidden("account.self_lockout", "You cannot remove your own admin permission.")
    updated = advance(account, role_ids=tuple(wanted))
    events: list[Event] = [access_snapshot(updated, roles)]
    for action, ids in (("granted_roles", added), ("revoked_roles", removed)):
        if ids:
            verb = action.removesuffix("_roles")
            events.append(account_audit(updated, actor=actor, action=action, now=now,
                                        detail=f"{verb}: " + ", ".join(ids)))
    return AccountChange(updated, tuple(events))


def _is_admin(role_ids: Iterable[str], roles: Mapping[str, Role]) -> bool:
    return Permission.ADMIN in effective_permissions(roles[r] for r in role_ids if r in roles)
