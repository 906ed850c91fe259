"""`ssp.commands.requested` in: the decision that counts, out as `CommandAuthorized` to the
platform family's topic plus an `authorized` status, or a `rejected` status; audited either way.
A request the policy allows must also stay within the command limits (rate limits, one pending
command per device and action, the wipe breaker: `domain.command_limits`), held in memory.

Idempotent by command id: the decision document (`_id` = command id) and its outgoing events are
stored in ONE insert, so a redelivered request collides and yields no second decision. Kafka
transactions are not used: they would make consume -> produce atomic, but the decision and its
events must also stay consistent with the database, which only the outbox gives.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from ssp_contracts.audit import AuditRecord
from ssp_contracts.base import Event
from ssp_contracts.commands import DECISION_VERSION, CommandRequested, CommandStatusChanged
from ssp_contracts.enums import CommandStatus, Permission
from ssp_contracts.policy import PORTAL_SOURCE, Decision, DeviceFacts, authorize
from ssp_runtime.consuming import Delivery
from ssp_runtime.signing import SignatureRefused, Verifier

from permission_service.domain.access_events import access_snapshot
from permission_service.domain.accounts import Account
from permission_service.domain.authorizer import to_command_authorized
from permission_service.domain.command_limits import LimitBook
from permission_service.domain.roles import roles_by_id
from permission_service.handlers.projection_lag import ProjectionLag
from permission_service.handlers.status_feed import StatusFeed
from permission_service.store import Stores

log = logging.getLogger(__name__)
_AUDIT_NAMESPACE = uuid.UUID("a3c1d9e2-8f57-4b0e-b6a4-2d9e51c7f380")


@dataclass(frozen=True)
class CommandLimits:
    """The in-memory limits (`domain.command_limits`) and the feed that keeps them current."""

    book: LimitBook
    feed: StatusFeed


class Authorizer:
    def __init__(self, stores: Stores, lag: ProjectionLag, clock: Callable[[], datetime],
                 portal: Verifier, retention: timedelta = timedelta(days=8),
                 *, limits: CommandLimits) -> None:
        self.stores = stores
        self.limits = limits
        self.lag = lag
        self.clock = clock
        self.portal = portal  # the gateway's keys: what it signed comes from the portal
        self.retention = retention

    async def on_command_requested(self, request: CommandRequested, d: Delivery) -> None:
        """Authorizes or rejects a requested command (once per command id)."""
        if await self.stores.decisions.exists(request.command_id):
            return  # redelivery: decided already
        await self.lag.wait_caught_up(d.timestamp_ms)
        device = await self.stores.devices.get(request.device_id)
        requester = await self.stores.accounts.get(request.requested_by)
        from_portal = self._from_portal(request, d)
        decision = authorize(request, requester, await self._permissions(requester, request),
                             device, from_portal=from_portal)
        if decision.authorized:
            await self.limits.feed.wait_caught_up(d.timestamp_ms)
        now = self.clock()
        if decision.authorized:
            decision = self.limits.book.refusal(
                org_id=request.org_id, user_id=request.requested_by, device_id=request.device_id,
                action=request.action, now=now) or decision
        origin = PORTAL_SOURCE if from_portal else f"integration {request.source!r}"
        events = decision_events(request, decision, device, now, origin)
        # Folded before the insert's await: the next request already counts this one.
        added = self.limits.book.fold(next(e for e in events
                                           if isinstance(e, CommandStatusChanged)))
        try:
            inserted = await self.stores.decisions.insert(request, decision, events, now)
        except BaseException:
            if added:
                self.limits.book.forget(request.command_id)
            raise
        if not inserted and added:
            self.limits.book.forget(request.command_id)  # decided before: its own statuses count
        if inserted:
            log.info("command decided", extra={
                "command_id": request.command_id, "device_id": request.device_id,
                "action": request.action.value, "decision": decision.code})

    def _from_portal(self, request: CommandRequested, d: Delivery) -> bool:
        """Only a record the gateway signed counts as the portal's, whatever `source` says:
        anyone who can write the topic can write "portal" there."""
        if request.source != PORTAL_SOURCE:
            return False
        try:
            self.portal.verify(CommandRequested.event_type, d.value, d.headers)
        except SignatureRefused as refused:
            log.warning("a request claims the portal without its signature; decided as an "
                        "integration request", extra={"command_id": request.command_id,
                                                      "reason": refused.reason})
            return False
        return True

    async def forget_old_decisions(self) -> None:
        """Periodic: decisions older than any redelivery can be are dropped."""
        await self.stores.decisions.forget_older_than(self.clock() - self.retention)

    async def _permissions(self, requester: Account | None,
                           request: CommandRequested) -> list[Permission]:
        if requester is None or requester.org_id != request.org_id:
            return []
        roles = roles_by_id(await self.stores.roles.custom_roles(requester.org_id))
        return access_snapshot(requester, roles).permissions


def decision_events(request: CommandRequested, decision: Decision, device: DeviceFacts | None,
                    now: datetime, origin: str) -> list[Event]:
    """`origin`: where the request came from as decided (the portal only if it signed it)."""
    status = CommandStatusChanged(
        org_id=request.org_id, command_id=request.command_id, device_id=request.device_id,
        action=request.action, version=DECISION_VERSION,
        status=CommandStatus.AUTHORIZED if decision.authorized else CommandStatus.REJECTED,
        requested_by=request.requested_by,
        reason_code=None if decision.authorized else decision.code,
        reason=None if decision.authorized else decision.reason, occurred_at=now)
    audit = AuditRecord(
        org_id=request.org_id,
        audit_id=str(uuid.uuid5(_AUDIT_NAMESPACE, f"{request.org_id}/{request.command_id}")),
        actor=request.requested_by,
        action="authorized_command" if decision.authorized else "rejected_command",
        outcome="succeeded" if decision.authorized else "rejected",
        device_id=request.device_id, command_id=request.command_id,
        detail=f"{request.action.value} ({origin}): {decision.code}: {decision.reason}",
        occurred_at=now)
    if not decision.authorized:
        return [status, audit]
    assert device is not None  # authorize() never allows an unknown device
    return [to_command_authorized(request, device, now), status, audit]
