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
    """One page of a list op; `query` keeps the entries whose names contain it (any case)."""

    page: StrictInt = Field(1, ge=1)
    page_size: StrictInt = Field(50, ge=1, le=500)
    query: StrictStr | None = Field(None, max_length=254)

    @property
    def skip(self) -> int:
        return (self.page - 1) * self.page_size

    @property
    def text(self) -> str | None:
        """The filter, or None when there is none (blank counts as none)."""
        return (self.query or "").strip() or None

    def reply(self, items: list[Any], *, has_next: bool) -> dict[str, Any]:
        """Every list op's reply: `{items, page, page_size, has_next}`."""
        return {"items": items, "page": self.page, "page_size": self.page_size,
                "has_next": has_next}


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
