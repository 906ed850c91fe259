"""Admin ops on roles: list, create, update, delete. Built-ins are read-only (the domain says
so); a change to a role that people hold republishes their access snapshots."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from ssp_contracts.audit import AuditRecord
from ssp_contracts.rpc import AdminRequest

from permission_service.domain.access_events import audit_record
from permission_service.domain.accounts import Account
from permission_service.domain.errors import Conflict, NotFound
from permission_service.domain.roles import (
    Role,
    check_deletable,
    create_role,
    roles_by_id,
    update_role,
)
from permission_service.handlers.access_refresh import AccessRefresh
from permission_service.handlers.admin_payloads import (
    Listing,
    NoPayload,
    RoleCreate,
    RoleUpdate,
    parse,
    target_of,
)
from permission_service.handlers.derived_ids import derived_id
from permission_service.handlers.views import role_view
from permission_service.store import RoleAlreadyStored, Stores

Reply = tuple[int, Any]
WRITE_ATTEMPTS = 3


class AdminRoles:
    def __init__(self, stores: Stores, refresh: AccessRefresh,
                 clock: Callable[[], datetime]) -> None:
        self.stores = stores
        self.refresh = refresh
        self.clock = clock

    async def list_roles(self, request: AdminRequest, _actor: Account) -> Reply:
        page = parse(Listing, request.payload)
        roles = roles_by_id(await self.stores.roles.custom_roles(request.org_id)).values()
        # An org has a handful of roles: filtered and paged here rather than in the database.
        wanted = page.text.casefold() if page.text else ""
        ordered = sorted((r for r in roles if wanted in r.name.casefold()),
                         key=lambda r: (not r.builtin, r.name.casefold()))
        shown = ordered[page.skip:page.skip + page.page_size]
        return 200, page.reply([role_view(r) for r in shown],
                               has_next=len(ordered) > page.skip + page.page_size)

    async def create_role(self, request: AdminRequest, actor: Account) -> Reply:
        body = parse(RoleCreate, request.payload)
        role_id = derived_id("role", request.org_id, request.request_id)
        role = create_role(role_id=role_id, org_id=request.org_id, name=body.name,
                           permissions=body.permissions,
                           existing=await self.stores.roles.custom_roles(request.org_id))
        try:
            await self.stores.roles.insert(role, self._audit(role, actor, "created_role"))
        except RoleAlreadyStored:  # the same request again: answer as the first time
            return 201, role_view(await self._visible(request.org_id, role_id))
        return 201, role_view(role)

    async def update_role(self, request: AdminRequest, actor: Account) -> Reply:
        body = parse(RoleUpdate, request.payload)
        for _ in range(WRITE_ATTEMPTS):
            role = await self._visible(request.org_id, target_of(request))
            updated = update_role(
                role, name=body.name, permissions=body.permissions,
                existing=await self.stores.roles.custom_roles(request.org_id),
                expected_version=body.expected_version)
            if updated == role:
                return 200, role_view(role)
            audit = self._audit(updated, actor, "updated_role")
            if await self.stores.roles.replace(role.version, updated, audit, self.clock()):
                await self.refresh.refresh_holders(updated.role_id, request.org_id,
                                                   updated.version)
                return 200, role_view(updated)
        raise Conflict("role.busy", "The role kept changing meanwhile; try again.")

    async def delete_role(self, request: AdminRequest, actor: Account) -> Reply:
        parse(NoPayload, request.payload)
        for _ in range(WRITE_ATTEMPTS):
            role = await self._visible(request.org_id, target_of(request))
            check_deletable(role)
            gone = role.model_copy(update={"version": role.version + 1})
            audit = self._audit(gone, actor, "deleted_role")
            if await self.stores.roles.delete(role, audit, self.clock()):
                await self.refresh.refresh_holders(role.role_id, request.org_id, gone.version)
                return 200, {"role_id": role.role_id, "deleted": True}
        raise Conflict("role.busy", "The role kept changing meanwhile; try again.")

    async def _visible(self, org_id: str, role_id: str) -> Role:
        role = await self.stores.roles.get(role_id)
        if role is None or not role.visible_to(org_id):
            raise NotFound("role.not_found", "No such role.")
        return role

    def _audit(self, role: Role, actor: Account, action: str) -> AuditRecord:
        permissions = ", ".join(sorted(p.value for p in role.permissions))
        return audit_record(org_id=actor.org_id, actor=actor.user_id, action=action,
                            now=self.clock(), dedupe_key=f"{role.role_id}/{role.version}",
                            detail=f"{role.name}: {permissions}")
