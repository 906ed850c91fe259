"""Admin ops on accounts: list, get, create, update (profile, enabled, password), delete, roles.

Every change is computed by the domain and written as a compare-and-set on the version it was
computed from; when another change got there first, the op is decided again on fresh state
(or answers 409 when the caller named the version it expected).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from ssp_contracts.rpc import AdminRequest

from permission_service.domain.account_changes import (
    AccountChange,
    create_account,
    delete_account,
    disable_account,
    enable_account,
    reset_password,
    update_account,
)
from permission_service.domain.accounts import Account
from permission_service.domain.errors import Conflict, NotFound
from permission_service.domain.grants import set_roles
from permission_service.domain.passwords import PasswordHashing
from permission_service.domain.roles import Role, roles_by_id
from permission_service.handlers.admin_payloads import (
    Listing,
    NoPayload,
    RolesSet,
    UserCreate,
    UserUpdate,
    parse,
    target_of,
)
from permission_service.handlers.derived_ids import derived_id
from permission_service.handlers.views import user_view
from permission_service.store import AlreadyStored, Stores

Reply = tuple[int, Any]
Roles = dict[str, Role]
MakeChange = Callable[[Account, Roles], Awaitable[AccountChange]]
WRITE_ATTEMPTS = 3


class AdminUsers:
    def __init__(self, stores: Stores, hashing: PasswordHashing,
                 clock: Callable[[], datetime]) -> None:
        self.stores = stores
        self.hashing = hashing
        self.clock = clock

    async def list_users(self, request: AdminRequest, _actor: Account) -> Reply:
        page = parse(Listing, request.payload)
        roles = await self._roles(request.org_id)
        # One more than a page: whether a next page exists, without counting.
        accounts = await self.stores.accounts.live_in_org(
            request.org_id, skip=page.skip, limit=page.page_size + 1, query=page.text)
        return 200, page.reply([user_view(a, roles) for a in accounts[:page.page_size]],
                               has_next=len(accounts) > page.page_size)

    async def get_user(self, request: AdminRequest, _actor: Account) -> Reply:
        parse(NoPayload, request.payload)
        account = await self._live(request.org_id, target_of(request))
        return 200, user_view(account, await self._roles(request.org_id))

    async def create_user(self, request: AdminRequest, actor: Account) -> Reply:
        body = parse(UserCreate, request.payload)
        roles = await self._roles(request.org_id)
        # Derived from the request id: a redelivered request finds the account it created.
        user_id = derived_id("u", request.org_id, request.request_id)
        change = await asyncio.to_thread(  # argon2id takes ~50 ms of CPU: off the event loop
            create_account, user_id=user_id, org_id=request.org_id, username=body.username,
            roles=roles, actor=actor.user_id, now=self.clock(), password=body.password,
            hashing=self.hashing, display_name=body.display_name, email=body.email,
            locale=body.locale, external_subject=body.external_subject, role_ids=body.role_ids)
        try:
            await self.stores.accounts.insert(change)
        except AlreadyStored:
            return 201, user_view(await self._live(request.org_id, user_id), roles)
        return 201, user_view(change.account, roles)

    async def update_user(self, request: AdminRequest, actor: Account) -> Reply:
        fields = parse(UserUpdate, request.payload).given()
        expected = fields.pop("expected_version", None)
        enabled = fields.pop("enabled", None)
        password = fields.pop("password", None)

        async def change(account: Account, roles: Roles) -> AccountChange:
            now = self.clock()
            step = update_account(account, fields, roles=roles, actor=actor.user_id, now=now,
                                  expected_version=expected)
            if enabled is not None:
                toggle = enable_account if enabled else disable_account
                step = _then(step, toggle(step.account, roles=roles, actor=actor.user_id,
                                          now=now))
            if password is not None:
                step = _then(step, await asyncio.to_thread(
                    reset_password, step.account, password, hashing=self.hashing,
                    roles=roles, actor=actor.user_id, now=now))
            return step

        return await self._write(request.org_id, target_of(request), change)

    async def delete_user(self, request: AdminRequest, actor: Account) -> Reply:
        parse(NoPayload, request.payload)

        async def change(account: Account, roles: Roles) -> AccountChange:
            return delete_account(account, roles=roles, actor=actor.user_id, now=self.clock())

        await self._write(request.org_id, target_of(request), change)
        return 200, {"user_id": request.target_id, "deleted": True}

    async def set_roles(self, request: AdminRequest, actor: Account) -> Reply:
        body = parse(RolesSet, request.payload)

        async def change(account: Account, roles: Roles) -> AccountChange:
            return set_roles(account, body.role_ids, roles=roles, actor=actor.user_id,
                             now=self.clock(), expected_version=body.expected_version)

        return await self._write(request.org_id, target_of(request), change)

    async def _write(self, org_id: str, user_id: str, make: MakeChange) -> Reply:
        for _ in range(WRITE_ATTEMPTS):
            account = await self._live(org_id, user_id)
            roles = await self._roles(org_id)
            change = await make(account, roles)
            if await self.stores.accounts.replace(account.version, change):
                if change.account.password_hash != account.password_hash:
                    await self.stores.login_throttles.clear_user(user_id)  # new password
                return 200, user_view(change.account, roles)
        raise Conflict("account.busy", "The account kept changing meanwhile; try again.")

    async def _live(self, org_id: str, user_id: str) -> Account:
        account = await self.stores.accounts.get(user_id)
        # Another org's account answers like a missing one: ids of other tenants stay hidden.
        if account is None or account.deleted or account.org_id != org_id:
            raise NotFound("account.not_found", "No such account.")
        return account

    async def _roles(self, org_id: str) -> Roles:
        return roles_by_id(await self.stores.roles.custom_roles(org_id))


def _then(first: AccountChange, second: AccountChange) -> AccountChange:
    """Two changes as one write: the final state, and every event in order."""
    return AccountChange(second.account, first.events + second.events)
