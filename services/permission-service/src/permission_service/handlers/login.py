"""Answers `ssp.rpc.auth.verify` (login) and `ssp.rpc.auth.reverify` (step-up).

The reply says only ok or `invalid_credentials`: unknown user, wrong password, disabled and
throttled accounts all look the same to the caller (the reason is logged here). An unknown
user costs one argon2id verification like a wrong password does. Hashes never leave.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime

from ssp_contracts.rpc import (
    CredentialsVerdict,
    ReverifyPassword,
    ReverifyVerdict,
    VerifyCredentials,
)

from permission_service.domain.access_events import access_snapshot
from permission_service.domain.accounts import Account
from permission_service.domain.login import LoginResult, check_login
from permission_service.domain.passwords import PasswordHashing
from permission_service.domain.roles import roles_by_id
from permission_service.domain.throttle import ThrottleState, client_key
from permission_service.store import Stores

log = logging.getLogger(__name__)
ATTEMPTS = 3
INVALID = CredentialsVerdict(ok=False, reason="invalid_credentials")


class Login:
    def __init__(self, stores: Stores, hashing: PasswordHashing,
                 clock: Callable[[], datetime]) -> None:
        self.stores = stores
        self.hashing = hashing
        self.clock = clock

    async def on_verify_credentials(self, request: VerifyCredentials) -> CredentialsVerdict:
        """Checks a username and password; answers who it is and what they may do."""
        account = await self.stores.accounts.by_username(request.org_id, request.username)
        result = await self._check(account, request.password, client_key(request.client))
        log.info("login checked", extra={
            "org_id": request.org_id, "user_id": account.user_id if account else None,
            "outcome": result.code, "client": request.client})
        if not result.ok or result.account is None:
            return INVALID
        found = result.account
        roles = roles_by_id(await self.stores.roles.custom_roles(found.org_id))
        return CredentialsVerdict(
            ok=True, user_id=found.user_id, org_id=found.org_id, username=found.username,
            display_name=found.display_name, locale=found.locale,
            permissions=access_snapshot(found, roles).permissions)

    async def on_reverify_password(self, request: ReverifyPassword) -> ReverifyVerdict:
        """Step-up: the logged-in user proves again who they are (same rules as login)."""
        account = await self.stores.accounts.get(request.user_id)
        if account is not None and account.org_id != request.org_id:
            account = None
        # The session's own pair: a step-up carries no address (the gateway limits it per user).
        result = await self._check(account, request.password, client_key(None))
        log.info("step-up checked", extra={
            "org_id": request.org_id, "user_id": request.user_id, "outcome": result.code})
        return ReverifyVerdict(ok=result.ok)

    async def _check(self, account: Account | None, password: str, client: str) -> LoginResult:
        """Decide and store the bookkeeping (the pair's throttle, a rehash); when a concurrent
        attempt got there first, decide again on the fresh state, so no failed attempt is
        lost. `client`: the key of the caller's address (domain/throttle.client_key)."""
        throttles = self.stores.login_throttles
        for _ in range(ATTEMPTS):
            state = await throttles.get(account.user_id, client) if account else ThrottleState()
            now = self.clock()
            # argon2id costs ~50 ms of CPU and releases the GIL: keep the event loop free.
            result = await asyncio.to_thread(
                check_login, account, password, hashing=self.hashing, now=now, state=state)
            if account is None:
                return result
            if result.throttle is not None and not await throttles.save(
                    account.user_id, client, state, result.throttle, now):
                continue
            if result.new_password_hash is not None:
                await self.stores.accounts.rehash(account, result.new_password_hash)
            return result
        return result
