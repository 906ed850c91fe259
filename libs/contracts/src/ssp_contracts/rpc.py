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

    username: str = Field(min_length=1, max_length=254, description="Login name as typed")
    password: str = Field(min_length=1, max_length=1024, repr=False,
                          description="Password as typed; never stored or logged")
    client: str | None = Field(None, max_length=100, description="Client address, for audit")

    def subject(self) -> str:
        return f"{self.org_id}/{self.username.lower()}"


class CredentialsVerdict(Contract):
    ok: bool = Field(description="Whether the credentials are valid; the rest only when they are")
    user_id: EntityId | None = Field(None, description="The user who logged in")
    org_id: str | None = Field(None, description="The user's organisation")
    username: str | None = Field(None, description="Login name as stored")
    display_name: str | None = Field(None, description="Name shown in the portal")
    locale: Literal["en", "de"] = Field("en", description="Language of the portal's pages")
    permissions: list[Permission] = Field(default_factory=list,
                                          description="Effective permissions at login")
    # Deliberately one code for unknown user, wrong password, disabled or throttled account.
    reason: Literal["invalid_credentials"] | None = Field(
        None, description="Why not: one code, whatever the cause")


class ReverifyPassword(Event):
    """Step-up: the logged-in user proves again who they are before a destructive action."""

    event_type: ClassVar[str] = "ssp.rpc.reverify_password.v1"

    user_id: EntityId
    password: str = Field(min_length=1, max_length=1024, repr=False,
                          description="Password as typed; never stored or logged")

    def subject(self) -> str:
        return self.user_id


class ReverifyVerdict(Contract):
    ok: bool = Field(description="Whether the password is the user's")


AdminOp = Literal[
    "list_users", "get_user", "create_user", "update_user", "delete_user", "set_roles",
    "list_roles", "create_role", "update_role", "delete_role",
    # the permission-service's wipe circuit breaker for the admin's org (docs/architecture.md)
    "get_wipe_breaker", "reset_wipe_breaker",
]


class AdminRequest(Event):
    """An administrative write or read of accounts and roles, on behalf of `actor_user_id`."""

    event_type: ClassVar[str] = "ssp.rpc.admin_request.v1"

    request_id: EntityId
    actor_user_id: EntityId
    op: AdminOp = Field(description="The administration operation")
    target_id: EntityId | None = Field(None, description="User or role the op is about")
    payload: dict[str, Any] = Field(default_factory=dict, repr=False,
                                    description="The operation's body, as the admin sent it")

    def subject(self) -> str:
        return self.target_id or self.org_id


class FieldProblem(Contract):
    field: str = Field(description="The request field at fault")
    code: str = Field(description="Machine code of the problem")
    message: str = Field(description="Explanation for people")


class AdminReply(Contract):
    ok: bool = Field(description="Whether the operation succeeded")
    status: int = Field(description="HTTP status the gateway answers with")
    code: str | None = Field(None, description="Machine code of a refusal")
    message: str | None = Field(None, description="Explanation of a refusal, for people")
    problems: list[FieldProblem] = Field(default_factory=list,
                                         description="Invalid fields of the request")
    data: Any = Field(None, description="The operation's answer (a user, a page of users, ...)")
