"""Versioned seed data: ordered, idempotent, and in step with the built-in roles."""

from datetime import datetime

from permission_service.domain.migrations import MIGRATIONS, ROLES_COLLECTION, pending, record
from permission_service.domain.roles import BUILTIN_ROLES, Role


def apply(db: dict[str, dict], now: datetime) -> None:
    """What the store does, with a dict of collections standing in for MongoDB."""
    applied = db.setdefault("schema_migrations", {})
    for migration in pending(applied):
        collection = db.setdefault(migration.collection, {})
        for key, document in migration.upserts():
            collection[key[migration.key_field]] = document
        applied[migration.version] = record(migration, now)


def test_versions_are_unique_and_increasing():
    versions = [m.version for m in MIGRATIONS]
    assert versions == sorted(set(versions)) and versions[0] == 1


def test_nothing_is_pending_after_all_are_applied():
    assert pending([]) == list(MIGRATIONS)
    assert pending([m.version for m in MIGRATIONS]) == []


def test_pending_keeps_order_and_skips_applied():
    assert [m.version for m in pending([1])] == [m.version for m in MIGRATIONS[1:]]


def test_applying_twice_changes_nothing(now: datetime):
    db: dict[str, dict] = {}
    apply(db, now)
    snapshot = {name: dict(c) for name, c in db.items()}
    apply(db, now)
    assert db == snapshot
    assert len(db[ROLES_COLLECTION]) == len(BUILTIN_ROLES)


def test_seeded_roles_match_the_current_builtin_definitions(now: datetime):
    db: dict[str, dict] = {}
    apply(db, now)
    seeded = {Role.model_validate(d) for d in db[ROLES_COLLECTION].values()}
    # Fails when roles.py changes without a new migration that upserts the new definition.
    assert seeded == set(BUILTIN_ROLES)


def test_upserts_hand_out_fresh_mutable_documents():
    [(_, first), *_] = MIGRATIONS[0].upserts()
    first["name"] = "tampered"
    assert MIGRATIONS[0].upserts()[0][1]["name"] != "tampered"
    assert isinstance(MIGRATIONS[0].upserts()[0][1]["permissions"], list)
