"""Answers `ssp.rpc.admin`: checks that the actor is an admin of the request's org, runs the op,
and maps domain errors to the HTTP-like statuses the gateway answers with."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from ssp_contracts.rpc import AdminReply, AdminRequest, FieldProblem

from permission_service.domain.access_events import access_snapshot
from permission_service.domain.accounts import Account
from permission_service.domain.errors import (
    Conflict,
    DomainError,
    Forbidden,
    NotFound,
    ValidationProblem,
)
from permission_service.domain.roles import require_admin, roles_by_id
from permission_service.handlers.admin_roles import AdminRoles
from permission_service.handlers.admin_users import AdminUsers
from permission_service.handlers.wipe_breaker import WipeBreakerDesk
from permission_service.store import Stores

log = logging.getLogger(__name__)
Op = Callable[[AdminRequest, Account], Awaitable[tuple[int, Any]]]
STATUS_OF: tuple[tuple[type[DomainError], int], ...] = (
    (ValidationProblem, 400), (Forbidden, 403), (NotFound, 404), (Conflict, 409),
)


class AdminDesk:
    def __init__(self, stores: Stores, users: AdminUsers, roles: AdminRoles,
                 breaker: WipeBreakerDesk) -> None:
        self.stores = stores
        self.ops: dict[str, Op] = {
            "list_users": users.list_users, "get_user": users.get_user,
            "create_user": users.create_user, "update_user": users.update_user,
            "delete_user": users.delete_user, "set_roles": users.set_roles,
            "list_roles": roles.list_roles, "create_role": roles.create_role,
            "update_role": roles.update_role, "delete_role": roles.delete_role,
            "get_wipe_breaker": breaker.get_state, "reset_wipe_breaker": breaker.reset,
        }

    async def on_admin_request(self, request: AdminRequest) -> AdminReply:
        """Runs an administrative op on accounts or roles for an admin of the same org."""
        try:
            actor = await self._admin(request)
            status, data = await self.ops[request.op](request, actor)
        except DomainError as error:
            reply = refusal(error)
            log.info("admin request refused", extra={
                "op": request.op, "org_id": request.org_id, "actor": request.actor_user_id,
                "status": reply.status, "code": reply.code})
            return reply
        log.info("admin request done", extra={
            "op": request.op, "org_id": request.org_id, "actor": request.actor_user_id,
            "target": request.target_id, "status": status})
        return AdminReply(ok=True, status=status, data=data)

    async def _admin(self, request: AdminRequest) -> Account:
        """Every op, reads included, needs an enabled admin of the request's own org."""
        actor = await self.stores.accounts.get(request.actor_user_id)
        if actor is None or actor.org_id != request.org_id:
            raise Forbidden("admin.required", "This needs the administrator role.")
        roles = roles_by_id(await self.stores.roles.custom_roles(actor.org_id))
        # The snapshot holds no permissions for a disabled or deleted account: fails closed.
        require_admin(access_snapshot(actor, roles).permissions)
        return actor


def refusal(error: DomainError) -> AdminReply:
    status = next((s for kind, s in STATUS_OF if isinstance(error, kind)), 400)
    problems = [FieldProblem(field=p.field, code=p.code, message=p.message)
                for p in getattr(error, "problems", ())]
    return AdminReply(ok=False, status=status, code=error.code, message=error.message,
                      problems=problems)
