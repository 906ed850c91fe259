"""Republishing the access snapshots of the holders of a role that changed or was deleted.

The role's own write marks it `refresh_pending`; the mark is cleared only after every holder
got a fresh snapshot, so a crash half-way is finished by `sweep` (the periodic job).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from permission_service.domain.account_changes import refresh_access
from permission_service.domain.accounts import Account
from permission_service.domain.roles import Role, roles_by_id
from permission_service.store import Stores

ATTEMPTS = 5


class AccessRefresh:
    def __init__(self, stores: Stores, clock: Callable[[], datetime],
                 settle: timedelta = timedelta(seconds=10)) -> None:
        self.stores = stores
        self.clock = clock
        self.settle = settle  # leave a role alone while the request that changed it refreshes

    async def refresh_holders(self, role_id: str, org_id: str, role_version: int) -> int:
        """Republish every holder's snapshot; returns how many were republished."""
        roles = roles_by_id(await self.stores.roles.custom_roles(org_id))
        refreshed = 0
        for account in await self.stores.accounts.holders(role_id):
            if account.org_id == org_id and await self._refresh(account, roles):
                refreshed += 1
        await self.stores.roles.refreshed(role_id, role_version)
        return refreshed

    async def sweep(self) -> None:
        for role_id, org_id, version in await self.stores.roles.awaiting_refresh(
                self.clock() - self.settle):
            await self.refresh_holders(role_id, org_id, version)

    async def _refresh(self, account: Account | None, roles: dict[str, Role]) -> bool:
        for _ in range(ATTEMPTS):
            if account is None or account.deleted:
                return False
            if await self.stores.accounts.replace(account.version, refresh_access(account, roles)):
                return True
            account = await self.stores.accounts.get(account.user_id)  # changed meanwhile
        return False
