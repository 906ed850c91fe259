"""Built-in templates, custom roles, effective permissions."""

import pytest
from permission_service.domain.errors import Conflict, Forbidden, ValidationProblem
from permission_service.domain.roles import (
    ADMIN_ROLE_ID,
    BUILTIN_BY_ID,
    BUILTIN_ROLES,
    FULL_ACCESS_ROLE_ID,
    READ_ACCESS_ROLE_ID,
    Role,
    check_deletable,
    create_role,
    effective_permissions,
    require_admin,
    roles_by_id,
    update_role,
)
from ssp_contracts.enums import SELF_SERVICE_PERMISSIONS, Permission


def custom(name: str = "Finders", org_id: str = "acme", **overrides) -> Role:
    return create_role(role_id=overrides.pop("role_id", "r-1"), org_id=org_id, name=name,
                       permissions=overrides.pop("permissions", ["ssp.view", "ssp.locate"]),
                       existing=overrides.pop("existing", []))


def test_builtin_templates_have_fixed_ids_names_and_permissions():
    full, read, admin = (BUILTIN_BY_ID[i] for i in (
        FULL_ACCESS_ROLE_ID, READ_ACCESS_ROLE_ID, ADMIN_ROLE_ID))
    assert full.name == "Self service portal - full access"
    # Every self-service permission but removing a device from management, which an admin
    # grants through a custom role (issue 19).
    assert full.permissions == SELF_SERVICE_PERMISSIONS - {Permission.RETIRE}
    assert Permission.RETIRE not in full.permissions
    assert read.name == "Self service portal - read access"
    assert read.permissions == {Permission.VIEW}
    assert admin.permissions == {Permission.ADMIN}
    assert all(r.builtin and r.org_id is None for r in BUILTIN_ROLES)


@pytest.mark.parametrize("role", BUILTIN_ROLES, ids=lambda r: r.role_id)
def test_builtins_are_read_only(role: Role):
    with pytest.raises(Forbidden) as raised:
        update_role(role, name="Mine now", existing=[])
    assert raised.value.code == "role.builtin_read_only"
    assert role.name in raised.value.message
    with pytest.raises(Forbidden):
        check_deletable(role)


def test_custom_role_is_validated():
    role = custom()
    assert role.permissions == {Permission.VIEW, Permission.LOCATE} and not role.builtin
    check_deletable(role)


@pytest.mark.parametrize(("name", "permissions", "code"), [
    ("", ["ssp.view"], "role.name_invalid"),
    ("x" * 101, ["ssp.view"], "role.name_invalid"),
    ("Ok", [], "role.permissions_invalid"),
    ("Ok", ["ssp.teleport"], "role.permissions_invalid"),
])
def test_invalid_custom_roles(name: str, permissions: list[str], code: str):
    with pytest.raises(ValidationProblem) as raised:
        custom(name=name, permissions=permissions)
    assert [p.code for p in raised.value.problems] == [code]


def test_names_are_unique_per_org_case_insensitively_builtins_included():
    first = custom()
    with pytest.raises(Conflict):
        custom(name="FINDERS", role_id="r-2", existing=[first])
    with pytest.raises(Conflict):
        custom(name="self service portal - READ access", role_id="r-2")
    custom(name="Finders", org_id="globex", role_id="r-2", existing=[first])  # other org


def test_builtin_ids_are_reserved():
    with pytest.raises(Conflict):
        custom(role_id=FULL_ACCESS_ROLE_ID)


def test_update_bumps_version_only_on_change():
    role = custom()
    assert update_role(role, name="Finders", existing=[role]) is role
    renamed = update_role(role, name="Seekers", permissions=["ssp.view"], existing=[role],
                          expected_version=1)
    assert (renamed.name, renamed.permissions, renamed.version) == (
        "Seekers", {Permission.VIEW}, 2)
    with pytest.raises(Conflict):
        update_role(renamed, name="Again", existing=[], expected_version=1)


def test_effective_permissions_are_the_union():
    assert effective_permissions([]) == frozenset()
    wipers = custom(permissions=["ssp.wipe"])
    union = effective_permissions([BUILTIN_BY_ID[READ_ACCESS_ROLE_ID], wipers])
    assert union == {Permission.VIEW, Permission.WIPE}


def test_stored_roles_cannot_shadow_builtins():
    impostor = Role(role_id=ADMIN_ROLE_ID, org_id="acme", name="Fake",
                    permissions=frozenset({Permission.VIEW}))
    assert roles_by_id([impostor])[ADMIN_ROLE_ID] == BUILTIN_BY_ID[ADMIN_ROLE_ID]


def test_role_document_round_trip():
    role = custom()
    document = role.model_dump()
    assert document["permissions"] == ["ssp.locate", "ssp.view"]
    assert Role.model_validate({**document, "_id": "x"}) == role


def test_admin_guard():
    require_admin([Permission.ADMIN])
    with pytest.raises(Forbidden):
        require_admin(SELF_SERVICE_PERMISSIONS)
