"""The Account model (what the store keeps) and the validation of its fields.

The model is the single source of the field rules; `validated_account` turns a pydantic
failure into `FieldProblem`s with stable codes, so callers never see pydantic's own codes.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from ssp_contracts.base import EntityId, OrgId, Version

from permission_service.domain.errors import Conflict, FieldProblem, ValidationProblem

USERNAME_PATTERN = r"^[A-Za-z0-9._@-]{3,64}$"
# Deliberately simple: one @, no spaces, a dot in the domain. Deliverability is proven by mail.
EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"

Username = Annotated[
    str, Field(pattern=USERNAME_PATTERN, description="3-64 of A-Z a-z 0-9 . _ - @")
]
Email = Annotated[str, Field(max_length=254, pattern=EMAIL_PATTERN)]
Locale = Literal["en", "de"]


def username_key(username: str) -> str:
    """The form usernames are compared and indexed in (unique per org).

    Usernames are ASCII only, so lower() is exact; it avoids look-alike Unicode names.
    """
    return username.strip().lower()


class Account(BaseModel):
    """A person who can log in to the portal (or be managed by an admin).

    Stored as `stored_fields()`; loading ignores unknown keys because the document also carries
    Mongo's `_id`, the `username_key` index field and the outbox of pending events.
    """

    model_config = ConfigDict(frozen=True, extra="ignore", str_strip_whitespace=True)

    user_id: EntityId
    org_id: OrgId
    username: Username
    display_name: str | None = Field(None, max_length=200)
    email: Email | None = None
    locale: Locale = "en"
    enabled: bool = True
    deleted: bool = Field(False, description="Tombstone: kept so versions never go backwards")
    external_subject: str | None = Field(None, min_length=1, max_length=256,
                                         description="Subject of the SSO identity, if linked")
    password_hash: str | None = Field(None, description="argon2id; None: cannot log in by password")
    role_ids: tuple[EntityId, ...] = ()
    version: Version = 1

    @property
    def username_key(self) -> str:
        """Unique per org. A deleted account gives its username back, so it may be reused."""
        if self.deleted:
            return f"deleted:{self.user_id}"  # ':' is not allowed in usernames: never collides
        return username_key(self.username)

    @field_validator("role_ids")
    @classmethod
    def _sorted_unique(cls, role_ids: tuple[str, ...]) -> tuple[str, ...]:
        # One canonical order, so an unchanged set compares equal and causes no event.
        return tuple(sorted(set(role_ids)))

    @property
    def live(self) -> bool:
        return not self.deleted

    def stored_fields(self) -> dict[str, Any]:
        """The account as its document holds it: its fields plus the key usernames are
        unique and looked up by."""
        return {**self.model_dump(), "username_key": self.username_key}


# Stable code and message per field; the model decides what is valid, these say it to people.
_FIELD_PROBLEMS: dict[str, tuple[str, str]] = {
    "user_id": ("user_id.invalid", "The user id must be 1-128 of A-Z a-z 0-9 _ . : -"),
    "org_id": ("org_id.invalid", "The organisation id must be 1-64 of A-Z a-z 0-9 _ . -"),
    "username": ("username.invalid",
                 "The username must be 3-64 characters: letters, digits, . _ - or @."),
    "display_name": ("display_name.too_long", "The display name must be at most 200 characters."),
    "email": ("email.invalid", "The e-mail address is not valid."),
    "locale": ("locale.unsupported", "The language must be 'en' or 'de'."),
    "external_subject": ("external_subject.invalid",
                         "The SSO subject must be 1-256 characters."),
    "role_ids": ("role_ids.invalid", "Role ids must be 1-128 of A-Z a-z 0-9 _ . : -"),
}


def field_problems(error: ValidationError) -> list[FieldProblem]:
    """One problem per invalid field, with this module's codes instead of pydantic's."""
    problems: dict[str, FieldProblem] = {}
    for detail in error.errors():
        field = str(detail["loc"][0]) if detail["loc"] else "account"
        code, message = _FIELD_PROBLEMS.get(field, (f"{field}.invalid", detail["msg"]))
        problems.setdefault(field, FieldProblem(field, code, message))
    return list(problems.values())


def validated_account(
    fields: dict[str, Any], extra_problems: list[FieldProblem] | None = None
) -> Account:
    """Build an Account from `fields`, raising one `ValidationProblem` with every problem."""
    problems = list(extra_problems or [])
    try:
        account = Account.model_validate(fields)
    except ValidationError as error:
        problems.extend(field_problems(error))
        raise ValidationProblem(problems) from None
    ValidationProblem.raise_if_any(problems)
    return account


def username_taken(username: str) -> Conflict:
    """The error for a duplicate username; the store raises it on a unique-index violation too."""
    return Conflict("username.taken", f"The username '{username}' is already in use.")


def stale_version(expected: int, actual: int) -> Conflict:
    return Conflict(
        "account.version_conflict",
        f"The account changed meanwhile (version {actual}, expected {expected}); reload it.",
    )
