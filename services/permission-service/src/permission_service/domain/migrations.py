"""Versioned seed data, as plain data; the store applies it.

How the store applies a migration: for each document, an upsert into `collection` keyed by
`key_field` (a fixed id, so a rerun or a second replica racing changes nothing), then an
upsert of `record(migration, now)` into `schema_migrations` keyed by `version`.

Append only: a released migration never changes. Changing a built-in role (say, a new
Permission for full access) means a new migration that upserts the new definition, with a
higher `version` in the role document so consumers take it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType
from typing import Any

MIGRATIONS_COLLECTION = "schema_migrations"
ROLES_COLLECTION = "roles"


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    collection: str
    key_field: str  # the field holding each document's fixed id (the upsert filter)
    documents: tuple[Mapping[str, Any], ...]

    def upserts(self) -> list[tuple[dict[str, Any], dict[str, Any]]]:
        """(filter, full document) pairs, ready for `replace_one(filter, doc, upsert=True)`."""
        return [({self.key_field: doc[self.key_field]}, _plain(doc)) for doc in self.documents]


def _plain(document: Mapping[str, Any]) -> dict[str, Any]:
    # A fresh, mutable copy with lists where the frozen data holds tuples.
    return {k: list(v) if isinstance(v, tuple) else v for k, v in document.items()}


def _frozen(document: dict[str, Any]) -> Mapping[str, Any]:
    return MappingProxyType(document)


def _builtin_role(role_id: str, name: str, permissions: tuple[str, ...]) -> Mapping[str, Any]:
    return _frozen({"role_id": role_id, "org_id": None, "name": name,
                    "permissions": permissions, "builtin": True, "version": 1})


# Literal documents, not derived from roles.py: a released migration must not change when the
# code does. A test checks that the newest role documents match roles.BUILTIN_ROLES.
MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        version=1,
        name="builtin roles",
        collection=ROLES_COLLECTION,
        key_field="role_id",
        documents=(
            _builtin_role("builtin-ssp-full", "Self service portal - full access", (
                "ssp.locate", "ssp.lock", "ssp.lost_mode", "ssp.reset_passcode", "ssp.view",
                "ssp.wipe",
            )),
            _builtin_role("builtin-ssp-read", "Self service portal - read access", ("ssp.view",)),
            _builtin_role("builtin-admin", "Administrator", ("admin",)),
        ),
    ),
)


def pending(applied_versions: Iterable[int]) -> list[Migration]:
    """Migrations not yet applied, oldest first (apply them in this order)."""
    applied = set(applied_versions)
    return [m for m in sorted(MIGRATIONS, key=lambda m: m.version) if m.version not in applied]


def record(migration: Migration, now: datetime) -> dict[str, Any]:
    """The `schema_migrations` document that marks `migration` as applied."""
    return {"version": migration.version, "name": migration.name, "applied_at": now}
