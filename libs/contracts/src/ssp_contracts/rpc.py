"""Request/reply contracts: login verification, step-up, and administrative writes.

Requests are events (validated, dead-lettered like any other); replies are plain contracts
sent to the requester's reply topic."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import Field

from ssp_contracts.base import Contract, EntityId, Event
from ssp_contracts.enums import Permission


class VerifyCredentials(Event):
    """Password login. The password never appears in repr() or logs."""

    event_type: ClassVar[str] = "ssp.rpc.verify_credentials.v1"

    username: str = Field(min_length=1, max_length=254)
    password: str = Field(min_length=1, max_length=1024, repr=False)
    client: str | None = Field(None, max_length=100, description="Client address, for audit")

    def subject(self) -> str:
        return f"{self.org_id}/{self.username.lower()}"


class CredentialsVerdict(Contract):
    ok: bool
    user_id: EntityId | None = None
    org_id: str | None = None
    username: str | None = None
    display_name: str | None = None
    locale: Literal["en", "de"] = "en"
    permissions: list[Permission] = Field(default_factory=list)
    # Deliberately one code for unknown user, wrong password, disabled or throttled account.
    reason: Literal["invalid_credentials"] | None = None


class ReverifyPassword(Event):
    """Step-up: the logged-in user proves again who they are before a destructive action."""

    event_type: ClassVar[str] = "ssp.rpc.reverify_password.v1"

    user_id: EntityId
    password: str = Field(min_length=1, max_length=1024, repr=False)

    def subject(self) -> str:
        return self.user_id


class ReverifyVerdict(Contract):
    ok: bool


AdminOp = Literal[
    "list_users", "get_user", "create_user", "update_user", "delete_user", "set_roles",
    "list_roles", "create_role", "update_role", "delete_role",
]


class AdminRequest(Event):
    """An administrative write or read of accounts and roles, on behalf of `actor_user_id`."""

    event_type: ClassVar[str] = "ssp.rpc.admin_request.v1"

    request_id: EntityId
    actor_user_id: EntityId
    op: AdminOp
    target_id: EntityId | None = Field(None, description="User or role the op is about")
    payload: dict[str, Any] = Field(default_factory=dict, repr=False)

    def subject(self) -> str:
        return self.target_id or self.org_id


class FieldProblem(Contract):
    field: str
    code: str
    message: str


class AdminReply(Contract):
    ok: bool
    status: int = Field(description="HTTP status the gateway answers with")
    code: str | None = None
    message: str | None = None
    problems: list[FieldProblem] = Field(default_factory=list)
    data: Any = None
