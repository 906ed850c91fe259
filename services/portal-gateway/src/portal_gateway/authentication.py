"""Login, step-up, logout, and turning a session cookie into a `Caller`.

Credentials are checked by the permission-service over request/reply; the gateway keeps only
the session, stored under the hash of its secret id. A session that ends here (sign-out, a new
id after step-up or a new login) is announced on `ssp.sessions`, so every instance that
remembers it (memory_reads.py) forgets it at once.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, TypeVar

from pydantic import BaseModel
from ssp_contracts.base import Event
from ssp_contracts.rpc import (
    CredentialsVerdict,
    ReverifyPassword,
    ReverifyVerdict,
    VerifyCredentials,
)
from ssp_contracts.sessions import SessionEnded
from ssp_contracts.topics import RPC_AUTH_REVERIFY, RPC_AUTH_VERIFY, SESSIONS
from ssp_runtime.rpc import RpcTimeout

from portal_gateway.command_requests import PUBLISH_ERRORS
from portal_gateway.domain.access import Caller, account_usable, known_permissions
from portal_gateway.domain.errors import Forbidden, NotAuthenticated, Unavailable
from portal_gateway.domain.rate_limits import RateLimit, check_count, window_for
from portal_gateway.domain.secrets_at_rest import new_secret, secret_hash
from portal_gateway.domain.sessions import (
    SessionPolicy,
    SessionTimes,
    is_expired,
    needs_touch,
)
from portal_gateway.store.gateway_stores import GatewayStores
from portal_gateway.store.sessions import StoredSession

log = logging.getLogger(__name__)
R = TypeVar("R", bound=BaseModel)


class RequestReply(Protocol):
    async def request(self, topic: str, payload: Event, reply_model: type[R],
                      timeout_s: float | None = None) -> R: ...


class Publisher(Protocol):
    async def publish(self, topic: str, event: Event, **kwargs: Any) -> str: ...


@dataclass(frozen=True)
class LoggedIn:
    secret: str  # goes into the cookie, never into the database
    session: StoredSession


def session_expired() -> NotAuthenticated:
    return NotAuthenticated("auth.required", "Sign in first (or again: the session ended).")


async def ask(rpc: RequestReply, topic: str, payload: Event, reply: type[R]) -> R:
    """Request/reply with the two ways it fails mapped to one clear 503."""
    try:
        return await rpc.request(topic, payload, reply)
    except (RpcTimeout, *PUBLISH_ERRORS) as exc:
        log.warning("no answer", extra={"topic": topic, "error": repr(exc)})
        raise Unavailable("upstream.unavailable",
                          "The account service did not answer. Try again in a moment.") from exc


class Authentication:
    def __init__(self, stores: GatewayStores, rpc: RequestReply, policy: SessionPolicy,
                 login_limit: RateLimit, address_limit: RateLimit | None = None,
                 publisher: Publisher | None = None) -> None:
        self.stores = stores
        self.rpc = rpc
        self.policy = policy
        self.login_limit = login_limit
        self.address_limit = address_limit
        self.publisher = publisher  # announces ended sessions to the other instances

    async def _count(self, rule: RateLimit, subject: str, now: datetime) -> None:
        window = window_for(rule, subject, now)
        check_count(rule, window, await self.stores.rate_windows.hit(window), now)

    async def login(self, *, org_id: str, username: str, password: str, client: str | None,
                    previous_secret: str | None, now: datetime) -> LoggedIn:
        """`client`: the caller's address as `http.client_address` resolved it.

        Only failures count, and never per account: an account's guesses are slowed per
        (account, address) by the permission-service, so nobody can lock its owner out. Here
        one address guessing at many accounts is stopped (a successful login costs nothing).
        """
        failures = None
        if client and self.address_limit is not None:
            failures = window_for(self.address_limit, client, now)
            check_count(self.address_limit, failures,
                        await self.stores.rate_windows.count(failures) + 1, now)
        verdict = await ask(self.rpc, RPC_AUTH_VERIFY, VerifyCredentials(
            org_id=org_id, username=username, password=password, client=client),
            CredentialsVerdict)
        if not verdict.ok or not verdict.user_id:
            if failures is not None:
                await self.stores.rate_windows.hit(failures)
            raise NotAuthenticated("auth.invalid_credentials",
                                   "The username or password is wrong.")
        if previous_secret:  # a new id on every login: a planted session id is worthless
            await self.end(secret_hash(previous_secret))
        secret = new_secret()
        session = StoredSession(
            session_hash=secret_hash(secret), user_id=verdict.user_id,
            org_id=verdict.org_id or org_id, username=verdict.username or username,
            display_name=verdict.display_name, locale=verdict.locale,
            permissions=tuple(p.value for p in verdict.permissions), csrf_token=new_secret(),
            times=SessionTimes(created_at=now, last_seen_at=now))
        await self.stores.sessions.create(session)
        return LoggedIn(secret, session)

    async def reauthenticate(self, caller: Caller, password: str, now: datetime) -> str:
        """Step-up: check the password again, mark the session fresh, rotate its id."""
        await self._count(self.login_limit, f"reauth:{caller.user_id}", now)
        verdict = await ask(self.rpc, RPC_AUTH_REVERIFY, ReverifyPassword(
            org_id=caller.org_id, user_id=caller.user_id, password=password), ReverifyVerdict)
        if not verdict.ok:
            raise Forbidden("auth.reauth_failed", "The password is wrong.")
        secret = new_secret()
        if not await self.stores.sessions.rotate(caller.session_hash, secret_hash(secret),
                                                 now=now, reauthenticated_at=now):
            raise session_expired()
        await self._announce_end(caller.user_id, caller.org_id, caller.session_hash)
        return secret

    async def logout(self, secret: str | None) -> None:
        if secret:
            await self.end(secret_hash(secret))

    async def end(self, session_hash: str) -> None:
        """Ends a session here and on every instance."""
        stored = await self.stores.sessions.find(session_hash)
        await self.stores.sessions.delete(session_hash)
        if stored is not None:
            await self._announce_end(stored.user_id, stored.org_id, session_hash)

    async def _announce_end(self, user_id: str, org_id: str, session_hash: str) -> None:
        """Best effort: the session is gone from the database already, and an instance that
        misses the announcement reads it again within `SSP_SESSION_CACHE_S`."""
        if self.publisher is None:
            return
        try:
            await self.publisher.publish(SESSIONS, SessionEnded(
                org_id=org_id, user_id=user_id, session_hash=session_hash), key=user_id)
        except PUBLISH_ERRORS as exc:
            log.warning("session end not announced", extra={"error": repr(exc)})

    async def caller(self, secret: str | None, now: datetime, *, touch: bool = True) -> Caller:
        """The user behind a session cookie, with current rights; raises when there is none.

        `touch=False` checks without counting as activity (an open live stream is not use)."""
        if not secret:
            raise session_expired()
        stored = await self.stores.sessions.find(secret_hash(secret))
        if stored is None:
            raise session_expired()
        if is_expired(stored.times, self.policy, now):
            await self.stores.sessions.delete(stored.session_hash)
            raise session_expired()
        access = await self.stores.access.get(stored.user_id)
        if access is not None and not account_usable(enabled=access.enabled,
                                                     deleted=access.deleted):
            await self.stores.sessions.revoke_user(stored.user_id)
            raise session_expired()
        if touch and needs_touch(stored.times, now):
            await self.stores.sessions.touch(stored.session_hash, now)
        return caller_of(stored, access)


def caller_of(stored: StoredSession, access: Any) -> Caller:
    """Identity from the session; rights from the access projection once it knows the user."""
    permissions = known_permissions(access.permissions if access else stored.permissions)
    return Caller(
        user_id=stored.user_id, org_id=stored.org_id,
        username=access.username if access else stored.username,
        display_name=access.display_name if access else stored.display_name,
        locale=access.locale if access else stored.locale, permissions=permissions,
        session_hash=stored.session_hash, csrf_token=stored.csrf_token,
        reauthenticated_at=stored.times.reauthenticated_at)
