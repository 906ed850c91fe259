"""Admin changes to accounts: new state, version bump, snapshot and audit events."""

from datetime import datetime

import pytest
from permission_service.domain.account_changes import (
    AccountChange,
    create_account,
    delete_account,
    disable_account,
    enable_account,
    refresh_access,
    reset_password,
    update_account,
)
from permission_service.domain.accounts import Account
from permission_service.domain.errors import Conflict, Forbidden, NotFound, ValidationProblem
from permission_service.domain.grants import grant_roles, revoke_roles, set_roles
from permission_service.domain.passwords import PasswordHashing
from permission_service.domain.roles import (
    ADMIN_ROLE_ID,
    FULL_ACCESS_ROLE_ID,
    READ_ACCESS_ROLE_ID,
    Role,
    roles_by_id,
)
from ssp_contracts.access import UserAccess
from ssp_contracts.audit import AuditRecord
from ssp_contracts.enums import Permission

OTHER_ORG_ROLE = Role(role_id="r-other", org_id="globex", name="Theirs",
                      permissions=frozenset({Permission.WIPE}))
ROLES = roles_by_id([OTHER_ORG_ROLE])
ADMIN = "u-admin"


def created(now: datetime, **overrides: object) -> Account:
    arguments: dict = {"user_id": "u-1", "org_id": "acme", "username": "alice",
                       "roles": ROLES, "actor": ADMIN, "now": now, **overrides}
    return create_account(**arguments).account


def snapshot(change: AccountChange) -> UserAccess:
    access = change.events[0]
    assert isinstance(access, UserAccess)
    return access


def audit(change: AccountChange) -> AuditRecord:
    record = change.events[-1]
    assert isinstance(record, AuditRecord)
    return record


def test_create_emits_snapshot_and_audit(hashing: PasswordHashing, now: datetime):
    change = create_account(
        user_id="u-1", org_id="acme", username="Alice", password="correct horse battery",
        hashing=hashing, role_ids=[READ_ACCESS_ROLE_ID], roles=ROLES, actor=ADMIN, now=now)
    assert change.account.version == 1
    assert change.account.password_hash and hashing.verify(
        change.account.password_hash, "correct horse battery")
    assert snapshot(change).permissions == [Permission.VIEW]
    assert snapshot(change).roles[0].name == "Self service portal - read access"
    assert (audit(change).action, audit(change).actor, audit(change).user_id) == (
        "created_user", ADMIN, "u-1")


def test_create_reports_every_problem_at_once(hashing: PasswordHashing, now: datetime):
    with pytest.raises(ValidationProblem) as raised:
        create_account(user_id="u-1", org_id="acme", username="x", password="short",
                       hashing=hashing, role_ids=["r-nope", "r-other"], roles=ROLES,
                       actor=ADMIN, now=now)
    assert sorted(p.code for p in raised.value.problems) == [
        "password.too_short", "role.unknown", "username.invalid"]


def test_password_equal_to_username_is_refused_on_create(hashing: PasswordHashing, now):
    with pytest.raises(ValidationProblem) as raised:
        created(now, username="alice.example", password="ALICE.EXAMPLE", hashing=hashing)
    assert [p.code for p in raised.value.problems] == ["password.equals_username"]


def test_update_changes_fields_and_bumps_version(now: datetime):
    account = created(now)
    change = update_account(account, {"email": "a@example.org", "locale": "de"},
                            roles=ROLES, actor=ADMIN, now=now, expected_version=1)
    assert (change.account.email, change.account.locale, change.account.version) == (
        "a@example.org", "de", 2)
    assert snapshot(change).version == 2
    assert audit(change).action == "updated_user"
    assert audit(change).detail == "changed: email, locale"


def test_update_with_same_values_is_a_no_op(now: datetime):
    account = created(now, email="a@example.org")
    change = update_account(account, {"email": " a@example.org "}, roles=ROLES, actor=ADMIN,
                            now=now)
    assert not change.changed and change.account is account


def test_update_refuses_a_stale_version_and_unknown_fields(now: datetime):
    account = created(now)
    with pytest.raises(Conflict) as stale:
        update_account(account, {"locale": "de"}, roles=ROLES, actor=ADMIN, now=now,
                       expected_version=7)
    assert stale.value.code == "account.version_conflict"
    with pytest.raises(ValidationProblem) as raised:
        update_account(account, {"password_hash": "x"}, roles=ROLES, actor=ADMIN, now=now)
    assert raised.value.problems[0].code == "field.not_updatable"


def test_disable_then_enable(now: datetime):
    account = created(now, role_ids=[FULL_ACCESS_ROLE_ID])
    disabled = disable_account(account, roles=ROLES, actor=ADMIN, now=now)
    assert not disabled.account.enabled and audit(disabled).action == "disabled_user"
    assert snapshot(disabled).enabled is False
    assert snapshot(disabled).permissions == []  # fail closed for consumers
    assert not disable_account(disabled.account, roles=ROLES, actor=ADMIN, now=now).changed
    enabled = enable_account(disabled.account, roles=ROLES, actor=ADMIN, now=now)
    assert enabled.account.enabled and enabled.account.version == 3
    assert audit(enabled).action == "enabled_user"


def test_admins_cannot_lock_themselves_out(now: datetime):
    account = created(now, user_id=ADMIN, role_ids=[ADMIN_ROLE_ID])
    for act in (disable_account, delete_account):
        with pytest.raises(Forbidden) as raised:
            act(account, roles=ROLES, actor=ADMIN, now=now)
        assert raised.value.code == "account.self_lockout"
    with pytest.raises(Forbidden):
        revoke_roles(account, [ADMIN_ROLE_ID], roles=ROLES, actor=ADMIN, now=now)


def test_delete_leaves_a_tombstone_without_personal_data(hashing: PasswordHashing, now):
    account = created(now, email="a@example.org", password="correct horse battery",
                      hashing=hashing, role_ids=[FULL_ACCESS_ROLE_ID])
    change = delete_account(account, roles=ROLES, actor=ADMIN, now=now)
    tombstone = change.account
    assert tombstone.deleted and tombstone.version == 2
    assert (tombstone.email, tombstone.password_hash, tombstone.role_ids) == (None, None, ())
    assert snapshot(change).deleted and audit(change).action == "deleted_user"
    assert not delete_account(tombstone, roles=ROLES, actor=ADMIN, now=now).changed
    with pytest.raises(NotFound):
        enable_account(tombstone, roles=ROLES, actor=ADMIN, now=now)


def test_grant_and_revoke_roles(now: datetime):
    account = created(now)
    granted = grant_roles(account, [FULL_ACCESS_ROLE_ID, READ_ACCESS_ROLE_ID], roles=ROLES,
                          actor=ADMIN, now=now)
    assert audit(granted).action == "granted_roles"
    # Every permission but the three no built-in self-service role holds.
    assert set(snapshot(granted).permissions) == {
        p for p in Permission
        if p not in {Permission.ADMIN, Permission.INTEGRATION, Permission.RETIRE}}
    assert not grant_roles(granted.account, [READ_ACCESS_ROLE_ID], roles=ROLES, actor=ADMIN,
                           now=now).changed
    revoked = revoke_roles(granted.account, [FULL_ACCESS_ROLE_ID], roles=ROLES, actor=ADMIN,
                           now=now)
    assert audit(revoked).action == "revoked_roles"
    assert snapshot(revoked).permissions == [Permission.VIEW]


def test_set_roles_audits_grants_and_revocations_separately(now: datetime):
    account = created(now, role_ids=[READ_ACCESS_ROLE_ID])
    change = set_roles(account, [FULL_ACCESS_ROLE_ID], roles=ROLES, actor=ADMIN, now=now,
                       expected_version=1)
    assert change.account.role_ids == (FULL_ACCESS_ROLE_ID,) and change.account.version == 2
    audits = [e for e in change.events if isinstance(e, AuditRecord)]
    assert [(a.action, a.detail) for a in audits] == [
        ("granted_roles", f"granted: {FULL_ACCESS_ROLE_ID}"),
        ("revoked_roles", f"revoked: {READ_ACCESS_ROLE_ID}")]
    assert len({a.audit_id for a in audits}) == 2
    assert not set_roles(change.account, [FULL_ACCESS_ROLE_ID], roles=ROLES, actor=ADMIN,
                         now=now).changed


def test_a_held_role_that_was_deleted_can_still_be_revoked(now: datetime):
    account = created(now).model_copy(update={"role_ids": ("r-gone",)})
    assert revoke_roles(account, ["r-gone"], roles=ROLES, actor=ADMIN, now=now).changed


def test_roles_of_another_org_cannot_be_granted(now: datetime):
    with pytest.raises(ValidationProblem) as raised:
        grant_roles(created(now), ["r-other"], roles=ROLES, actor=ADMIN, now=now)
    assert raised.value.problems[0].code == "role.unknown"


def test_reset_password_sets_a_new_hash(hashing: PasswordHashing, now):
    account = created(now)
    change = reset_password(account, "a brand new passphrase", hashing=hashing, roles=ROLES,
                            actor=ADMIN, now=now)
    assert change.account.password_hash
    assert hashing.verify(change.account.password_hash, "a brand new passphrase")
    assert audit(change).action == "reset_password"
    with pytest.raises(ValidationProblem):
        reset_password(account, "ALICE", hashing=hashing, roles=ROLES, actor=ADMIN, now=now)


def test_refresh_after_a_role_is_deleted_drops_it(now: datetime):
    custom = Role(role_id="r-custom", org_id="acme", name="Wipers",
                  permissions=frozenset({Permission.WIPE}))
    with_custom = roles_by_id([custom])
    account = grant_roles(created(now), ["r-custom"], roles=with_custom, actor=ADMIN,
                          now=now).account
    change = refresh_access(account, roles_by_id([]))
    assert change.account.role_ids == () and change.account.version == account.version + 1
    assert [type(e) for e in change.events] == [UserAccess]


def test_audit_ids_are_deterministic_per_change(now: datetime):
    first = disable_account(created(now), roles=ROLES, actor=ADMIN, now=now)
    again = disable_account(created(now), roles=ROLES, actor=ADMIN, now=now)
    assert audit(first).audit_id == audit(again).audit_id
