"""The permission-service: what it consumes, what it produces, what it serves.

Consumes: ssp.rpc.auth.verify, ssp.rpc.auth.reverify, ssp.rpc.admin (request/reply),
ssp.devices (its own device projection), ssp.commands.requested (the authorizer, and cancels to
forward).
Produces: ssp.access (UserAccess snapshots), ssp.audit, ssp.commands.apple|android|windows
(CommandAuthorized and forwarded CommandCancelRequested: the only writer there),
ssp.commands.status (authorized/rejected), all through the outbox.
Reads: ssp.commands.status, every partition, into the command limits (no group).
Serves: /healthz, /readyz, /metrics, /peers.
"""

from __future__ import annotations

from datetime import timedelta

from ssp_contracts.base import Event
from ssp_contracts.commands import CommandCancelRequested, CommandRequested
from ssp_contracts.devices import DeviceSnapshot
from ssp_contracts.rpc import AdminRequest, ReverifyPassword, VerifyCredentials
from ssp_contracts.topics import (
    COMMANDS_REQUESTED,
    DEVICES,
    RPC_ADMIN,
    RPC_AUTH_REVERIFY,
    RPC_AUTH_VERIFY,
)
from ssp_runtime.clock import utc_now
from ssp_runtime.consuming import Delivery
from ssp_runtime.registration import Built, Registration
from ssp_runtime.service import Service
from starlette.applications import Starlette

from permission_service.domain.command_limits import LimitBook
from permission_service.domain.passwords import PasswordHashing
from permission_service.event_routes import PRODUCED_TOPICS
from permission_service.handlers.access_refresh import AccessRefresh
from permission_service.handlers.admin_desk import AdminDesk
from permission_service.handlers.admin_roles import AdminRoles
from permission_service.handlers.admin_users import AdminUsers
from permission_service.handlers.authorizer import Authorizer, CommandLimits
from permission_service.handlers.cancels import CancelForwarding
from permission_service.handlers.device_projection import DeviceProjection
from permission_service.handlers.login import Login
from permission_service.handlers.projection_lag import ProjectionLag
from permission_service.handlers.startup import Startup
from permission_service.handlers.status_feed import StatusFeed
from permission_service.handlers.wipe_breaker import WipeBreakerDesk
from permission_service.settings import SERVICE, Settings
from permission_service.store import Stores
from permission_service.store.breaker_resets import BreakerResetStore

DEVICE_VIEWS_GROUP = f"{SERVICE}.{DEVICES}"
DECISION_CLEANUP_INTERVAL_S = 3600.0
LIMITS_PRUNE_INTERVAL_S = 30.0



def build_service(settings: Settings) -> Service:
    service = Service(SERVICE, settings)
    stores = Stores.open(service.db, service.outbox, source=SERVICE,
                         signer=settings.authorization_signer())
    hashing = PasswordHashing()  # computes one hash: built here, never at import time
    refresh = AccessRefresh(stores, utc_now,
                            settle=timedelta(seconds=2 * settings.role_refresh_interval_s))
    lag = ProjectionLag(settings.kafka_bootstrap_servers, DEVICES, DEVICE_VIEWS_GROUP,
                        settings.authorizer_projection_wait_s,
                        settings.authorizer_clock_margin_s, options=service.kafka_options)

    login = Login(stores, hashing, utc_now)
    service.respond(RPC_AUTH_VERIFY, VerifyCredentials)(login.on_verify_credentials)
    service.respond(RPC_AUTH_REVERIFY, ReverifyPassword)(login.on_reverify_password)

    book = LimitBook(settings.limit_policy())
    breaker = WipeBreakerDesk(book, BreakerResetStore(service.db), utc_now)
    feed = StatusFeed(settings.kafka_bootstrap_servers, book,
                      max_wait_s=settings.authorizer_projection_wait_s,
                      clock_margin_s=settings.authorizer_clock_margin_s,
                      options=service.kafka_options)
    admin = AdminDesk(stores, AdminUsers(stores, hashing, utc_now),
                      AdminRoles(stores, refresh, utc_now), breaker)
    service.respond(RPC_ADMIN, AdminRequest)(admin.on_admin_request)

    devices = DeviceProjection(stores)
    service.subscribe(DEVICES, DeviceSnapshot, tombstones=True,
                      group_id=DEVICE_VIEWS_GROUP)(devices.on_device_snapshot)
    authorizer = Authorizer(stores, lag, utc_now, settings.portal_request_verifier(),
                            retention=timedelta(days=settings.decision_retention_days),
                            limits=CommandLimits(book, feed))
    cancels = CancelForwarding(stores)

    async def on_command_topic(event: Event, d: Delivery) -> None:
        """Requested commands (decided here) and cancels (forwarded, in order)"""
        if isinstance(event, CommandCancelRequested):
            await cancels.on_cancel_requested(event, d)
        else:
            assert isinstance(event, CommandRequested)
            await authorizer.on_command_requested(event, d)

    service.subscribe(COMMANDS_REQUESTED, (CommandRequested, CommandCancelRequested))(
        on_command_topic)
    service.produces(*PRODUCED_TOPICS)

    startup = Startup(stores, hashing, settings, utc_now)
    service.on_startup(stores.create_indexes)
    service.on_startup(startup.apply_migrations)
    service.on_startup(startup.create_bootstrap_admin)
    service.on_startup(startup.seed_demo_users)
    service.on_startup(lag.start)
    service.on_startup(breaker.refresh)  # resets first: the replay then skips what they void
    service.on_startup(feed.start)
    service.on_shutdown(lag.stop)
    service.on_shutdown(feed.stop)
    service.every(settings.role_refresh_interval_s, refresh.sweep)
    service.every(DECISION_CLEANUP_INTERVAL_S, authorizer.forget_old_decisions)
    service.every(settings.wipe_breaker_poll_s, breaker.refresh)

    async def prune_command_limits() -> None:
        book.prune(utc_now())

    service.every(LIMITS_PRUNE_INTERVAL_S, prune_command_limits)
    return service


def create_app(settings: Settings | None = None) -> Starlette:
    return build_service(settings or Settings()).asgi()


# How the document generators find this service (pyproject.toml: entry point `ssp.services`).
REGISTRATION = Registration(Settings, lambda settings: Built(build_service(settings)))
