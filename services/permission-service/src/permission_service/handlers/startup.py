"""Start-up work, in order: versioned migrations, the bootstrap admin, demo users (demo mode).

All of it is safe when several instances start at once: fixed or derived ids and unique
indexes make the second writer's insert collide instead of duplicating anything.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Callable
from datetime import datetime

from ssp_contracts.audit import system_actor

from permission_service.domain.account_changes import create_account, reset_password
from permission_service.domain.accounts import username_key
from permission_service.domain.errors import Conflict, ValidationProblem
from permission_service.domain.migrations import pending
from permission_service.domain.passwords import PasswordHashing
from permission_service.domain.roles import (
    ADMIN_ROLE_ID,
    FULL_ACCESS_ROLE_ID,
    READ_ACCESS_ROLE_ID,
    roles_by_id,
)
from permission_service.handlers.derived_ids import derived_id
from permission_service.settings import SERVICE, Settings
from permission_service.store import AlreadyStored, Stores

log = logging.getLogger(__name__)
SYSTEM_ACTOR = system_actor(SERVICE)
# (username, display name, roles): one user per situation the portal must explain.
DEMO_USERS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("alice", "Alice Example (full access)", (FULL_ACCESS_ROLE_ID,)),
    ("bob", "Bob Example (read access)", (READ_ACCESS_ROLE_ID,)),
    ("carol", "Carol Example (no self-service permission)", ()),
    ("admin", "Demo Administrator", (ADMIN_ROLE_ID, FULL_ACCESS_ROLE_ID)),
)


class Startup:
    def __init__(self, stores: Stores, hashing: PasswordHashing, settings: Settings,
                 clock: Callable[[], datetime]) -> None:
        self.stores = stores
        self.hashing = hashing
        self.settings = settings
        self.clock = clock

    async def apply_migrations(self) -> None:
        for migration in pending(await self.stores.migrations.applied_versions()):
            await self.stores.migrations.apply(migration, self.clock())
            log.info("migration applied", extra={"version": migration.version,
                                                 "migration": migration.name})

    async def create_bootstrap_admin(self) -> None:
        username, secret = (self.settings.bootstrap_admin_username,
                            self.settings.bootstrap_admin_password)
        if not username or secret is None:
            log.warning(
                "no bootstrap admin configured: to create the first admin, set "
                "SSP_BOOTSTRAP_ADMIN_USERNAME and SSP_BOOTSTRAP_ADMIN_PASSWORD (org: "
                "SSP_BOOTSTRAP_ADMIN_ORG, default SSP_DEFAULT_ORG) and restart")
            return
        org = self.settings.admin_org
        if await self.stores.accounts.by_username(org, username) is not None:
            log.info("bootstrap admin exists; left unchanged",
                     extra={"org_id": org, "username": username})
            return
        user_id = derived_id("u", org, "bootstrap", username_key(username))
        if await self._create(user_id, org, username, secret.get_secret_value(),
                              (ADMIN_ROLE_ID,), display_name=None):
            log.info("bootstrap admin created", extra={"org_id": org, "user_id": user_id})

    async def seed_demo_users(self) -> None:
        """Demo mode only: the demo users, with passwords set and logged at every start."""
        if not self.settings.demo_mode:
            return
        org = self.settings.default_org
        fixed = self.settings.demo_password
        shown = []
        for username, display_name, role_ids in DEMO_USERS:
            password = fixed.get_secret_value() if fixed else secrets.token_urlsafe(12)
            if await self._seed_demo_user(org, username, display_name, role_ids, password):
                shown.append(f"{username} / {password}")
        if shown:
            # Logged on purpose, and only in demo mode: how else would anyone log in?
            log.warning("DEMO MODE: demo users of org '%s' (username / password): %s",
                        org, "; ".join(shown))

    async def _seed_demo_user(self, org: str, username: str, display_name: str,
                              role_ids: tuple[str, ...], password: str) -> bool:
        user_id = f"{org}-{username}"  # readable and fixed, so other demo seeds can link to it
        existing = await self.stores.accounts.get(user_id)
        if existing is None:
            return await self._create(user_id, org, username, password, role_ids,
                                      display_name=display_name)
        if existing.deleted:
            return False
        if self.settings.demo_password is not None:
            unchanged = await asyncio.to_thread(
                self.hashing.verify, existing.password_hash, password)
            if unchanged:  # a fixed demo password: no new version at every start
                return True
        change = await asyncio.to_thread(
            reset_password, existing, password, hashing=self.hashing,
            roles=roles_by_id([]), actor=SYSTEM_ACTOR, now=self.clock())
        return await self.stores.accounts.replace(existing.version, change)

    async def _create(self, user_id: str, org: str, username: str, password: str,
                      role_ids: tuple[str, ...], *, display_name: str | None) -> bool:
        """False when the account exists already (another instance, or a taken username)."""
        try:
            change = await asyncio.to_thread(
                create_account, user_id=user_id, org_id=org, username=username,
                roles=roles_by_id([]), actor=SYSTEM_ACTOR, now=self.clock(), password=password,
                hashing=self.hashing, display_name=display_name, role_ids=role_ids)
        except ValidationProblem as error:
            details = "; ".join(f"{p.field}: {p.message}" for p in error.problems)
            raise RuntimeError(f"cannot create account '{username}': {details}") from error
        try:
            await self.stores.accounts.insert(change)
        except (AlreadyStored, Conflict):
            log.info("account exists; left unchanged", extra={"org_id": org, "username": username})
            return False
        return True
