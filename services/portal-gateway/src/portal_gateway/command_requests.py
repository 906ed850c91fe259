"""The command path at the gateway: pre-check, publish, record.

No synchronous database work but the record in the common case: the session, account and
device come from memory (memory_reads.py), the rate limits and one-unfinished-command-per-
action are pre-checked in memory (command_prechecks.py; the permission-service is the
authority), then one `acks=all` publish and the command's record (one insert) before the 202.
An Idempotency-Key costs one more write: its claim, taken first so a repeat is answered with
the first command (whatever the pre-checks would say now).

Why "publish first, then record": the client must get 503 when Kafka is down, and a
`CommandRequested` that never left must leave no trace. So the claims that guard against
doubles are taken first, the event is published and acknowledged, and only then is the
command recorded in the projection. A failed publish releases the claims and answers 503; a
failed record after a successful publish is healed by the status topic, which carries the same
command.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from aiokafka.errors import KafkaError
from pydantic import BaseModel, ConfigDict, Field
from ssp_contracts.base import Event
from ssp_contracts.cloudevents import to_value
from ssp_contracts.commands import CommandCancelRequested, CommandParams, CommandRequested
from ssp_contracts.devices import DeviceSnapshot
from ssp_contracts.enums import Action
from ssp_contracts.topics import COMMANDS_REQUESTED
from ssp_runtime import tracing
from ssp_runtime.signing import Signer

from portal_gateway.command_prechecks import PendingCommands, RateCounters
from portal_gateway.command_reads import check_cancelable, own_command
from portal_gateway.domain import confirmations as confirming
from portal_gateway.domain.access import Caller
from portal_gateway.domain.actions import require_available
from portal_gateway.domain.command_view import CommandPublic
from portal_gateway.domain.errors import FieldProblem, Unavailable, ValidationFailed
from portal_gateway.domain.rate_limits import RateLimit, check_count, window_for
from portal_gateway.domain.secrets_at_rest import secret_hash
from portal_gateway.domain.sessions import SessionPolicy
from portal_gateway.store.command_claims import Claim
from portal_gateway.store.gateway_stores import GatewayStores
from portal_gateway.wipe_breaker import WipeBreaker

log = logging.getLogger(__name__)
PUBLISH_ERRORS = (KafkaError, ConnectionError, TimeoutError, OSError, RuntimeError)


class Publisher(Protocol):
    async def publish(self, topic: str, event: Event, **kwargs: Any) -> str: ...


class CommandRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")  # e.g. a `requested_by` is refused, not ignored
    action: Action
    params: CommandParams = Field(default_factory=CommandParams)
    confirmation_token: str | None = Field(
        None, max_length=200, description="Needed for wipe and reset_passcode")


@dataclass(frozen=True)
class CommandPolicy:
    session: SessionPolicy
    confirmation_ttl: timedelta
    pending_for: timedelta
    idempotency_for: timedelta
    per_user: RateLimit
    per_device: RateLimit


@dataclass(frozen=True)
class CommandAccepted:
    command_id: str
    replayed: bool = False


def new_command_id() -> str:
    return f"cmd-{uuid.uuid4().hex}"


class CommandDesk:
    def __init__(self, stores: GatewayStores, publisher: Publisher, policy: CommandPolicy,
                 wipe_breaker: WipeBreaker, signer: Signer,
                 pending: PendingCommands | None = None) -> None:
        self.stores = stores
        self.publisher = publisher
        self.policy = policy
        self.wipe_breaker = wipe_breaker
        self.signer = signer  # makes a request the portal's (the authorizer checks)
        # Fed by the live feed's statuses too (app.py).
        self.pending = pending or PendingCommands(policy.pending_for)
        self.rate_counters = RateCounters()

    async def request(self, caller: Caller, device: DeviceSnapshot, req: CommandRequest,
                      idempotency_key: str | None, now: datetime) -> CommandAccepted:
        """`device` is already the caller's own (looked up filtered by user and org)."""
        command_id = new_command_id()
        if idempotency_key:
            prior = await self.stores.claims.claim_key(caller.user_id, idempotency_key, Claim(
                command_id, now + self.policy.idempotency_for, device.device_id,
                req.action.value), now)
            if prior is not None:
                return _replay(prior, device, req)
        try:
            event = await self._checked_and_published(caller, device, req, command_id, now)
        except BaseException:
            if idempotency_key:
                await self.stores.claims.release_key(caller.user_id, idempotency_key, command_id)
            raise
        try:
            await self.stores.commands.record_requested(event)
        except Exception:
            log.warning("command published but not recorded; the status topic will fill it",
                        extra={"command_id": command_id}, exc_info=True)
        return CommandAccepted(command_id)

    async def _checked_and_published(self, caller: Caller, device: DeviceSnapshot,
                                     req: CommandRequest, command_id: str,
                                     now: datetime) -> CommandRequested:
        require_available(device, caller, req.action, req.params)
        token = None
        if confirming.needs_confirmation(req.action):
            confirming.require_step_up(caller.reauthenticated_at, self.policy.session, now)
            token = confirming.require_token_given(req.confirmation_token)
        await self._count(self.policy.per_user, caller.user_id, now)
        await self._count(self.policy.per_device, device.device_id, now)
        if req.action is Action.WIPE:
            await self.wipe_breaker.admit(caller.org_id, now)
        self.pending.claim(device.device_id, req.action, command_id, now)
        try:
            if token is not None and not await self.stores.confirmations.consume(
                    secret_hash(token), user_id=caller.user_id, device_id=device.device_id,
                    action=req.action.value, now=now):
                raise confirming.confirmation_rejected()
            event = CommandRequested(
                org_id=caller.org_id, command_id=command_id, device_id=device.device_id,
                action=req.action, params=req.params, requested_by=caller.user_id,
                requested_at=now)
            await self._publish(COMMANDS_REQUESTED, event)
        except BaseException:
            self.pending.release(device.device_id, req.action, command_id)
            raise
        return event

    async def cancel(self, caller: Caller, command_id: str, now: datetime) -> CommandPublic:
        """Asks the dispatcher to cancel; it answers on the status topic (`canceled`, or the
        command restated with a `cancel_refused.*` reason when it was too late)."""
        command = await own_command(self.stores, caller, command_id)
        device = await self.stores.devices.in_org(caller.org_id, command.device_id)
        check_cancelable(command, device)
        assert device is not None  # check_cancelable refuses an unknown device
        event = CommandCancelRequested(
            org_id=caller.org_id, command_id=command.command_id, device_id=command.device_id,
            action=command.action, requested_by=caller.user_id, requested_at=now)
        # Through the permission-service, the only writer of the family topics: it forwards
        # the cancel behind the command's authorization.
        await self._publish(COMMANDS_REQUESTED, event)
        return command

    async def issue_confirmation(self, caller: Caller, device: DeviceSnapshot, action: Action,
                                 now: datetime) -> tuple[str, datetime]:
        confirming.require_confirmable(action)
        require_available(device, caller, action)
        token, confirmation = confirming.new_confirmation(
            user_id=caller.user_id, org_id=caller.org_id, device_id=device.device_id,
            action=action, now=now, ttl=self.policy.confirmation_ttl)
        await self.stores.confirmations.create(confirmation)
        return token, confirmation.expires_at

    async def _count(self, rule: RateLimit, subject: str, now: datetime) -> None:
        window = window_for(rule, subject, now)
        check_count(rule, window, await self.rate_counters.hit(window), now)

    async def _publish(self, topic: str, event: CommandRequested | CommandCancelRequested,
                       ) -> None:
        tracing.mark(**{"ssp.command_id": event.command_id})
        headers = self.signer.headers(event.event_type, to_value(event))
        try:
            await self.publisher.publish(topic, event, key=event.device_id, headers=headers)
        except PUBLISH_ERRORS as exc:
            log.warning("command not published", extra={"command_id": event.command_id,
                                                         "error": repr(exc)})
            raise Unavailable(
                "broker.unavailable",
                "The request could not be sent because the message broker is not reachable. "
                "Nothing was done; try again in a moment.") from exc


def _replay(prior: Claim, device: DeviceSnapshot, req: CommandRequest) -> CommandAccepted:
    if prior.device_id != device.device_id or prior.action != req.action.value:
        raise ValidationFailed([FieldProblem(
            "Idempotency-Key", "idempotency.key_reused",
            "This Idempotency-Key was already used for a different request.")])
    return CommandAccepted(prior.command_id, replayed=True)

