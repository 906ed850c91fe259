"""Roles: the built-in templates, custom roles of an org, and effective permissions.

Built-in roles have fixed ids so a migration can upsert them idempotently and every service
can refer to them; they are read-only, like the templates in comparable MDM products.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_serializer
from ssp_contracts.base import EntityId, OrgId, Version
from ssp_contracts.enums import FULL_ACCESS_PERMISSIONS, Permission

from permission_service.domain.errors import Conflict, FieldProblem, Forbidden, ValidationProblem

FULL_ACCESS_ROLE_ID = "builtin-ssp-full"
READ_ACCESS_ROLE_ID = "builtin-ssp-read"
ADMIN_ROLE_ID = "builtin-admin"


class Role(BaseModel):
    """A named set of permissions. `org_id` None means built-in (visible to every org)."""

    model_config = ConfigDict(frozen=True, extra="ignore", str_strip_whitespace=True)

    role_id: EntityId
    org_id: OrgId | None
    name: str = Field(min_length=1, max_length=100)
    permissions: frozenset[Permission] = Field(min_length=1)
    builtin: bool = False
    version: Version = 1

    @field_serializer("permissions")
    def _as_sorted_list(self, permissions: frozenset[Permission]) -> list[str]:
        # A list, because BSON cannot store a set; sorted, so equal roles dump equal documents.
        return sorted(p.value for p in permissions)

    def visible_to(self, org_id: str) -> bool:
        """Built-ins are visible to every org; a custom role only to its own."""
        return self.org_id is None or self.org_id == org_id


BUILTIN_ROLES: tuple[Role, ...] = (
    Role(role_id=FULL_ACCESS_ROLE_ID, org_id=None, name="Self service portal - full access",
         permissions=FULL_ACCESS_PERMISSIONS, builtin=True),
    Role(role_id=READ_ACCESS_ROLE_ID, org_id=None, name="Self service portal - read access",
         permissions=frozenset({Permission.VIEW}), builtin=True),
    Role(role_id=ADMIN_ROLE_ID, org_id=None, name="Administrator",
         permissions=frozenset({Permission.ADMIN}), builtin=True),
)
BUILTIN_BY_ID: Mapping[str, Role] = {role.role_id: role for role in BUILTIN_ROLES}


def effective_permissions(roles: Iterable[Role]) -> frozenset[Permission]:
    """Permissions are additive: the union of every role held."""
    return frozenset().union(*(role.permissions for role in roles))


def require_admin(permissions: Iterable[Permission]) -> None:
    """Guard for every admin write (accounts, roles, grants)."""
    if Permission.ADMIN not in set(permissions):
        raise Forbidden("admin.required", "This needs the administrator role.")


def ensure_editable(role: Role) -> None:
    """Built-in templates are read-only; copy one into a custom role to change it."""
    if role.builtin:
        raise Forbidden(
            "role.builtin_read_only",
            f"'{role.name}' is a built-in role and cannot be changed or deleted; "
            "create a custom role instead.",
        )


def _validated_role(fields: dict[str, Any], others: Iterable[Role]) -> Role:
    problems: list[FieldProblem] = []
    try:
        role = Role.model_validate(fields)
    except ValidationError as error:
        for field in {str(e["loc"][0]) for e in error.errors() if e["loc"]}:
            problems.append(_ROLE_FIELD_PROBLEMS.get(field, FieldProblem(
                field, f"{field}.invalid", f"The {field} is not valid.")))
        raise ValidationProblem(sorted(problems, key=lambda p: p.field)) from None
    name_key = role.name.casefold()
    for other in others:
        if other.role_id != role.role_id and other.visible_to(role.org_id or "") \
                and other.name.casefold() == name_key:
            raise Conflict("role.name_taken", f"A role named '{role.name}' already exists.")
    return role


_ROLE_FIELD_PROBLEMS = {
    "name": FieldProblem("name", "role.name_invalid", "The name must be 1-100 characters."),
    "permissions": FieldProblem(
        "permissions", "role.permissions_invalid",
        "Choose at least one permission of: " + ", ".join(p.value for p in Permission) + ".",
    ),
    "role_id": FieldProblem("role_id", "role_id.invalid", "The role id is not valid."),
    "org_id": FieldProblem("org_id", "org_id.invalid", "The organisation id is not valid."),
}


def create_role(
    *, role_id: str, org_id: str, name: str, permissions: Iterable[str], existing: Iterable[Role]
) -> Role:
    """A new custom role; `existing` are the org's roles (built-ins count too: names must differ).

    The store must still enforce the name with a unique index: two admins may race.
    """
    if role_id in BUILTIN_BY_ID:
        raise Conflict("role.id_reserved", f"The role id '{role_id}' is reserved.")
    fields = {"role_id": role_id, "org_id": org_id, "name": name,
              "permissions": list(permissions), "builtin": False, "version": 1}
    return _validated_role(fields, [*BUILTIN_ROLES, *existing])


def update_role(
    role: Role, *, name: str | None = None, permissions: Iterable[str] | None = None,
    existing: Iterable[Role], expected_version: int | None = None,
) -> Role:
    """The role with a new name and/or permissions and the next version; unchanged: `role`."""
    ensure_editable(role)
    if expected_version is not None and expected_version != role.version:
        raise Conflict("role.version_conflict",
                       f"The role changed meanwhile (version {role.version}); reload it.")
    fields = role.model_dump()
    if name is not None:
        fields["name"] = name
    if permissions is not None:
        fields["permissions"] = list(permissions)
    updated = _validated_role(fields, [*BUILTIN_ROLES, *existing])
    if updated == role:
        return role
    return updated.model_copy(update={"version": role.version + 1})


def check_deletable(role: Role) -> None:
    """Raise when `role` may not be deleted. Accounts holding it simply lose its permissions."""
    ensure_editable(role)


def roles_by_id(custom_roles: Iterable[Role]) -> dict[str, Role]:
    """Every role an org can use: `custom_roles` (as loaded by the store) plus the built-ins.

    Built-ins go last so a stored document can never shadow one.
    """
    return {**{role.role_id: role for role in custom_roles}, **BUILTIN_BY_ID}


def unknown_role_problems(
    role_ids: Iterable[str], org_id: str, roles: Mapping[str, Role]
) -> list[FieldProblem]:
    """A problem naming every id that is not a role `org_id` may grant (empty: all fine).

    Another org's role is reported exactly like a missing one: other orgs' ids stay hidden.
    """
    unknown = sorted(r for r in role_ids if r not in roles or not roles[r].visible_to(org_id))
    if not unknown:
        return []
    return [FieldProblem("role_ids", "role.unknown", "Unknown roles: " + ", ".join(unknown))]
