"""What admins do to accounts. Each function returns the new state and the events to emit.

The caller stores `change.account` and `change.events` together (outbox), guarded by a
compare-and-set on the old `version`. A request that changes nothing returns no events, so a
redelivered request is harmless. Every change bumps `version` by one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ssp_contracts.base import Event

from permission_service.domain.access_events import access_snapshot, account_audit
from permission_service.domain.accounts import Account, stale_version, validated_account
from permission_service.domain.errors import FieldProblem, Forbidden, NotFound, ValidationProblem
from permission_service.domain.passwords import PasswordHashing, password_problems
from permission_service.domain.roles import Role, unknown_role_problems

UPDATABLE_FIELDS = frozenset({"username", "display_name", "email", "locale", "external_subject"})


@dataclass(frozen=True)
class AccountChange:
    account: Account
    events: tuple[Event, ...] = ()  # the UserAccess snapshot first, then AuditRecords

    @property
    def changed(self) -> bool:
        return bool(self.events)


def create_account(
    *, user_id: str, org_id: str, username: str, roles: Mapping[str, Role], actor: str,
    now: datetime, password: str | None = None, hashing: PasswordHashing | None = None,
    display_name: str | None = None, email: str | None = None, locale: str = "en",
    external_subject: str | None = None, role_ids: Iterable[str] = (),
) -> AccountChange:
    """A new account (version 1). Username uniqueness is the store's unique index's job."""
    role_ids = tuple(role_ids)
    problems = unknown_role_problems(role_ids, org_id, roles)
    if password is not None:
        problems += password_problems(password, username=username)
    fields = {"user_id": user_id, "org_id": org_id, "username": username,
              "display_name": display_name, "email": email, "locale": locale,
              "external_subject": external_subject, "role_ids": role_ids, "version": 1}
    account = validated_account(fields, problems)
    if password is not None:  # hashed only once everything else is valid: hashing is costly
        if hashing is None:
            raise ValueError("create_account needs `hashing` when a password is given")
        account = account.model_copy(update={"password_hash": hashing.hash(password)})
    return emit_change(account, roles, actor=actor, action="created_user", now=now)


def update_account(
    account: Account, changes: Mapping[str, Any], *, roles: Mapping[str, Role], actor: str,
    now: datetime, expected_version: int | None = None,
) -> AccountChange:
    """Change profile fields (`UPDATABLE_FIELDS`); a value of None clears an optional field."""
    ensure_current(account, expected_version)
    ValidationProblem.raise_if_any(
        FieldProblem(name, "field.not_updatable", f"'{name}' cannot be changed here.")
        for name in sorted(set(changes) - UPDATABLE_FIELDS)
    )
    # Validate first, then compare: " Alice " and "Alice" are the same value once stripped.
    candidate = validated_account({**account.model_dump(), **changes})
    differing = sorted(k for k in changes if getattr(candidate, k) != getattr(account, k))
    if not differing:
        return AccountChange(account)
    updated = candidate.model_copy(update={"version": account.version + 1})
    return emit_change(updated, roles, actor=actor, action="updated_user", now=now,
                       detail="changed: " + ", ".join(differing))


def disable_account(
    account: Account, *, roles: Mapping[str, Role], actor: str, now: datetime
) -> AccountChange:
    """Disabled accounts cannot log in and are refused by the authorizer."""
    ensure_current(account)
    _refuse_self(account, actor, "disable")
    return _set_enabled(account, False, roles=roles, actor=actor, now=now)


def enable_account(
    account: Account, *, roles: Mapping[str, Role], actor: str, now: datetime
) -> AccountChange:
    return _set_enabled(account, True, roles=roles, actor=actor, now=now)


def _set_enabled(account: Account, enabled: bool, *, roles: Mapping[str, Role], actor: str,
                 now: datetime) -> AccountChange:
    ensure_current(account)
    if account.enabled == enabled:
        return AccountChange(account)
    return emit_change(advance(account, enabled=enabled), roles, actor=actor,
                       action="enabled_user" if enabled else "disabled_user", now=now)


def delete_account(
    account: Account, *, roles: Mapping[str, Role], actor: str, now: datetime
) -> AccountChange:
    """Soft delete: a tombstone without personal data or credentials keeps the version line.

    Deleting twice is a no-op (redelivery), and the username becomes free for reuse.
    """
    if account.deleted:
        return AccountChange(account)
    _refuse_self(account, actor, "delete")
    tombstone = advance(account, deleted=True, enabled=False, display_name=None, email=None,
                        external_subject=None, password_hash=None, role_ids=())
    return emit_change(tombstone, roles, actor=actor, action="deleted_user", now=now)


def reset_password(
    account: Account, password: str, *, hashing: PasswordHashing, roles: Mapping[str, Role],
    actor: str, now: datetime,
) -> AccountChange:
    """Set a new password (its writer lifts the account's login throttles, store/)."""
    ensure_current(account)
    ValidationProblem.raise_if_any(password_problems(password, username=account.username))
    updated = advance(account, password_hash=hashing.hash(password))
    return emit_change(updated, roles, actor=actor, action="reset_password", now=now)


def refresh_access(account: Account, roles: Mapping[str, Role]) -> AccountChange:
    """Republish the snapshot after a role it holds changed or was deleted (no audit: the role
    change itself is audited). Ids of roles that no longer exist are dropped.
    """
    if account.deleted:
        return AccountChange(account)
    kept = tuple(r for r in account.role_ids if r in roles)
    updated = advance(account, role_ids=kept)
    return AccountChange(updated, (access_snapshot(updated, roles),))


def emit_change(
    account: Account, roles: Mapping[str, Role], *, actor: str, action: str, now: datetime,
    detail: str | None = None,
) -> AccountChange:
    """`account` (already advanced) with its snapshot and one audit record of `action`."""
    audit = account_audit(account, actor=actor, action=action, now=now, detail=detail)
    return AccountChange(account, (access_snapshot(account, roles), audit))


def _next_fields(account: Account, **changes: Any) -> dict[str, Any]:
    return {**account.model_dump(), **changes, "version": account.version + 1}


def advance(account: Account, **changes: Any) -> Account:
    """`account` with `changes` and the next version, re-validated like a loaded document."""
    return Account.model_validate(_next_fields(account, **changes))


def ensure_current(account: Account, expected_version: int | None = None) -> None:
    """Refuse changes to a deleted account, or to one that changed since the caller read it."""
    if account.deleted:
        raise NotFound("account.not_found", "No such account.")
    if expected_version is not None and expected_version != account.version:
        raise stale_version(expected_version, account.version)


def _refuse_self(account: Account, actor: str, verb: str) -> None:
    # An admin locking themselves out is almost always a mistake and may leave the org adminless.
    if actor == account.user_id:
        raise Forbidden("account.self_lockout", f"You cannot {verb} your own account.")
