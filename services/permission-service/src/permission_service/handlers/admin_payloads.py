"""The shape of each admin op's payload, checked before the domain sees it.

Types only (a number where a name belongs, an unknown field, a missing one); what a valid
username or role name is stays the domain's job. Every problem becomes a `FieldProblem` with a
stable code, all reported at once.
"""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr, ValidationError
from ssp_contracts.rpc import AdminRequest

from permission_service.domain.errors import FieldProblem, ValidationProblem

P = TypeVar("P", bound="Payload")


class Payload(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    def given(self) -> dict[str, Any]:
        """The fields the caller sent (None included: for optional fields it means "clear")."""
        return {name: getattr(self, name) for name in self.model_fields_set}


class NoPayload(Payload):
    pass


class Listing(Payload):
    skip: StrictInt = Field(0, ge=0)
    limit: StrictInt = Field(100, ge=1, le=500)


class UserCreate(Payload):
    username: StrictStr
    password: StrictStr | None = Field(None, repr=False)
    display_name: StrictStr | None = None
    email: StrictStr | None = None
    locale: StrictStr = "en"
    external_subject: StrictStr | None = None
    role_ids: list[StrictStr] = Field(default_factory=list)


class UserUpdate(Payload):
    username: StrictStr | None = None
    display_name: StrictStr | None = None
    email: StrictStr | None = None
    locale: StrictStr | None = None
    external_subject: StrictStr | None = None
    enabled: StrictBool | None = None
    password: StrictStr | None = Field(None, repr=False)
    expected_version: StrictInt | None = None


class RolesSet(Payload):
    role_ids: list[StrictStr]
    expected_version: StrictInt | None = None


class RoleCreate(Payload):
    name: StrictStr
    permissions: list[StrictStr]


class RoleUpdate(Payload):
    name: StrictStr | None = None
    permissions: list[StrictStr] | None = None
    expected_version: StrictInt | None = None


def parse(model: type[P], payload: dict[str, Any]) -> P:
    try:
        return model.model_validate(payload)
    except ValidationError as error:
        problems: dict[str, FieldProblem] = {}
        for detail in error.errors():
            field = str(detail["loc"][0]) if detail["loc"] else "payload"
            problems.setdefault(field, _problem(field, detail["type"], detail["msg"]))
        raise ValidationProblem(sorted(problems.values(), key=lambda p: p.field)) from None


def _problem(field: str, kind: str, message: str) -> FieldProblem:
    if kind == "extra_forbidden":
        return FieldProblem(field, "field.unknown", f"'{field}' is not a field of this request.")
    if kind == "missing":
        return FieldProblem(field, f"{field}.required", f"'{field}' is required.")
    return FieldProblem(field, f"{field}.invalid", message)


def target_of(request: AdminRequest) -> str:
    """The user or role id the op is about; a problem when the request names none."""
    if not request.target_id:
        raise ValidationProblem([FieldProblem(
            "target_id", "target_id.required", f"'{request.op}' needs a target_id.")])
    return request.target_id
