"""Administration: account and role requests forwarded to the permission-service, and
device links published for the device-registry. The gateway decides nothing here beyond
"is the caller an admin"; the owning services check again and answer."""

from __future__ import annotations

import uuid
from typing import Any

from pydantic import AliasChoices, BaseModel, ConfigDict, Field
from ssp_contracts.enums import LinkSource, Permission
from ssp_contracts.links import LinkRequested
from ssp_contracts.rpc import AdminOp, AdminReply, AdminRequest
from ssp_contracts.topics import LINKS_REQUESTS, RPC_ADMIN

from portal_gateway.authentication import RequestReply, ask
from portal_gateway.command_requests import PUBLISH_ERRORS, Publisher
from portal_gateway.domain.access import Caller
from portal_gateway.domain.errors import FieldProblem, NotFound, Unavailable, UpstreamRejected
from portal_gateway.store.gateway_stores import GatewayStores


class UserCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: str = Field(min_length=1, max_length=254)
    password: str | None = Field(None, min_length=1, max_length=1024, repr=False)
    display_name: str | None = Field(None, max_length=200)
    email: str | None = Field(None, max_length=254)
    locale: str = Field("en", pattern="^(en|de)$")
    role_ids: list[str] = Field(default_factory=list)


class UserUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: str | None = Field(None, min_length=1, max_length=254)
    display_name: str | None = Field(None, max_length=200)
    email: str | None = Field(None, max_length=254)
    locale: str | None = Field(None, pattern="^(en|de)$")
    enabled: bool | None = None


class RolesSet(BaseModel):
    """`{"roles": [role_id, ...]}`: every role the user holds afterwards (none: no role).
    `role_ids` is accepted too, the name `create_user` uses."""

    model_config = ConfigDict(extra="forbid")
    roles: list[str] = Field(validation_alias=AliasChoices("roles", "role_ids"),
                             description="Role ids; replaces the user's roles")


class AdminListQuery(BaseModel):
    """One page of an admin list; `q` keeps the entries whose names contain it (any case)."""

    page: int = Field(1, ge=1)
    page_size: int = Field(50, ge=1, le=500)
    q: str | None = Field(None, max_length=254)

    def payload(self) -> dict[str, Any]:
        return {"page": self.page, "page_size": self.page_size, "query": self.q or None}


class RoleCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=100)
    permissions: list[Permission] = Field(min_length=1)


class DeviceUserLink(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: str = Field(min_length=1, max_length=254)


def reply_data(reply: AdminReply) -> Any:
    """The reply's data, or the upstream's refusal as a domain error."""
    if reply.ok:
        return reply.data
    raise UpstreamRejected(
        reply.status if 400 <= reply.status < 600 else 502, reply.code or "admin.rejected",
        reply.message or "The request was refused.",
        [FieldProblem(p.field, p.code, p.message) for p in reply.problems])


class AdminDesk:
    def __init__(self, stores: GatewayStores, rpc: RequestReply, publisher: Publisher) -> None:
        self.stores = stores
        self.rpc = rpc
        self.publisher = publisher

    async def forward(self, caller: Caller, op: AdminOp, *, target_id: str | None = None,
                      payload: dict[str, Any] | None = None) -> AdminReply:
        request = AdminRequest(
            org_id=caller.org_id, request_id=f"adm-{uuid.uuid4().hex}",
            actor_user_id=caller.user_id, op=op, target_id=target_id, payload=payload or {})
        return await ask(self.rpc, RPC_ADMIN, request, AdminReply)

    async def link_device(self, caller: Caller, device_id: str, username: str | None) -> str:
        """Publish a manual (un)link; returns the request id. Unknown device or user: 404."""
        if await self.stores.devices.in_org(caller.org_id, device_id) is None:
            raise NotFound("device.not_found", "No such device in your organisation.")
        user_id = None
        if username is not None:
            user = await self.stores.access.by_username(caller.org_id, username)
            if user is None:
                raise NotFound("user.not_found", f"No user named '{username}'.")
            user_id = user.user_id
        event = LinkRequested(
            org_id=caller.org_id, request_id=f"link-{uuid.uuid4().hex}", device_id=device_id,
            user_id=user_id, source=LinkSource.MANUAL, requested_by=caller.user_id)
        try:
            await self.publisher.publish(LINKS_REQUESTS, event, key=device_id)
        except PUBLISH_ERRORS as exc:
            raise Unavailable("broker.unavailable",
                              "The change could not be sent: the message broker is not "
                              "reachable. Nothing was done; try again.") from exc
        return event.request_id
