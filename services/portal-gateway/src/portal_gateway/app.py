"""The portal gateway: the web portal and the JSON API in front of the event-driven services.

Consumes `ssp.devices`, `ssp.access`, `ssp.commands.status`, `ssp.audit` (each device's
activity), `ssp.imports.status` into its own projections (the last via `link_admin`, with CSV
imports and reservations) and `ssp.sessions` (sessions ended on any instance); produces
`ssp.commands.requested`, cancels on `ssp.commands.<family>`, `ssp.links.requests`,
`ssp.sessions` and request/reply calls on `ssp.rpc.*`; serves /api/v1 (JSON), the web pages,
/static, and
/healthz /readyz /metrics /peers.
"""

from __future__ import annotations

import gc
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from ssp_contracts.access import UserAccess
from ssp_contracts.audit import AuditRecord
from ssp_contracts.commands import CommandStatusChanged
from ssp_contracts.devices import DeviceSnapshot
from ssp_contracts.sessions import SessionEnded
from ssp_contracts.topics import (
    ACCESS,
    AUDIT,
    COMMANDS_REQUESTED,
    COMMANDS_STATUS,
    DEVICES,
    LINKS_REQUESTS,
    RPC_ADMIN,
    RPC_AUTH_REVERIFY,
    RPC_AUTH_VERIFY,
    SESSIONS,
)
from ssp_runtime.clock import utc_now
from ssp_runtime.consuming import Delivery
from ssp_runtime.ops_http import ops_routes
from ssp_runtime.registration import Built, Endpoints, Registration
from ssp_runtime.service import Service
from starlette.middleware.errors import ServerErrorMiddleware
from starlette.routing import Mount
from starlette.types import ASGIApp

from portal_gateway.admin_requests import AdminDesk
from portal_gateway.api import api_router
from portal_gateway.command_prechecks import PendingCommands
from portal_gateway.command_requests import CommandDesk
from portal_gateway.http.api_docs import api_docs_routes
from portal_gateway.http.context import Gateway
from portal_gateway.http.edge import Edge, EdgeRules
from portal_gateway.http.guards import declare_public, every_route, route_guard
from portal_gateway.http.problems import install_problem_handlers
from portal_gateway.http.security_headers import content_security_policy
from portal_gateway.link_admin import wire_link_admin
from portal_gateway.live_feed import LiveFeed
from portal_gateway.memory_reads import (
    CachedSessionStore,
    DeviceMemory,
    MemoryAccessProjection,
    MemoryDeviceProjection,
    MemoryFeed,
)
from portal_gateway.metrics import (
    GatewayMetrics,
    MeteredAuthentication,
    MeteredLiveUpdates,
    MeteredWipeBreaker,
)
from portal_gateway.passcode_reveals import PasscodeDesk, opening_key
from portal_gateway.policies import (
    command_policy,
    login_address_limit,
    login_limit,
    session_policy,
    wipe_breaker_policy,
)
from portal_gateway.projections import Projections
from portal_gateway.settings import SERVICE, Settings
from portal_gateway.store.gateway_stores import GatewayStores
from portal_gateway.web import web_router
from portal_gateway.web.rendering import render_page_error

STATIC_DIR = Path(__file__).parent / "web" / "static"
# Probes, scrapes and files: no trace (regular expressions, comma-separated).
UNTRACED_PATHS = "/healthz$,/readyz$,/metrics$,/peers$,/static/"


def build_service(settings: Settings) -> Service:
    return Service(SERVICE, settings, rpc_client=True)


def subscribe_projections(service: Service, settings: Settings, projections: Projections,
                          feed: LiveFeed, memory: MemoryFeed | None = None,
                          pending: PendingCommands | None = None) -> None:
    def options(topic: str) -> dict[str, Any]:
        # Accounts are a global table every instance reads whole (ARCHITECTURE.md, "Other
        # keys"): a gateway that started at the topic's end would never know an account made
        # before it joined, whatever projections_from_beginning says.
        return {"group_id": f"{settings.consumer_group_prefix}.{topic}",
                "from_beginning": settings.projections_from_beginning or topic == ACCESS}

    def own(topic: str) -> dict[str, Any]:
        """This instance alone reads every partition, from now on (live updates only)."""
        return {"group_id": f"{settings.consumer_group_prefix}.live.{settings.instance_id}."
                            f"{topic}", "from_beginning": False}

    # The live feed announces a change as soon as it reads it, which can be before this
    # instance's projection stored it: a page that reloads on that announcement (a wiped
    # device does) then reads the older state and hears nothing more. So a change is announced
    # again once projected here.
    async def project_device(snapshot: DeviceSnapshot | None, delivery: Delivery) -> None:
        if await projections.on_device_snapshot(snapshot, delivery):
            await feed.announce_device(snapshot, delivery, stored=True)

    async def project_statuses(batch: list[tuple[CommandStatusChanged, Delivery]]) -> None:
        """The command projection, a consumed batch at a time."""
        deliveries = {(event.command_id, event.version): d for event, d in batch}
        for event in await projections.on_command_statuses(batch):
            await feed.announce_command_status(
                event, deliveries[(event.command_id, event.version)], stored=True)

    service.subscribe(DEVICES, DeviceSnapshot, tombstones=True, **options(DEVICES))(
        project_device)
    service.subscribe(ACCESS, UserAccess, **options(ACCESS))(projections.on_user_access)
    service.subscribe_batch(COMMANDS_STATUS, CommandStatusChanged, **options(COMMANDS_STATUS))(
        project_statuses)
    service.subscribe_batch(AUDIT, AuditRecord, **options(AUDIT))(projections.on_audit_records)
    service.subscribe(DEVICES, DeviceSnapshot, tombstones=True, **own(DEVICES))(
        feed.announce_device)
    # Every instance hears every status: its pending pre-check knows what the others and
    # other systems requested.
    async def hear_status(event: CommandStatusChanged, delivery: Delivery) -> None:
        if pending is not None:
            pending.on_status(event)
        await feed.announce_command_status(event, delivery)

    service.subscribe(COMMANDS_STATUS, CommandStatusChanged, **own(COMMANDS_STATUS))(
        hear_status)
    if memory is not None:
        service.subscribe(ACCESS, UserAccess, **own(ACCESS))(memory.remember_access)
        service.subscribe(SESSIONS, SessionEnded, **own(SESSIONS))(memory.forget_session)


def with_memory_reads(service: Service, settings: Settings,
                      stores: GatewayStores) -> tuple[GatewayStores, MemoryFeed | None]:
    """`SSP_MEMORY_READS`: the hot reads from memory (memory_reads.py), loaded at start-up
    and every `SSP_MEMORY_RESYNC_S`."""
    if not settings.memory_reads:
        return stores, None
    db = service.db
    devices = MemoryDeviceProjection(db, DeviceMemory())
    access = MemoryAccessProjection(db)
    sessions = CachedSessionStore(db, settings.session_cache_s)

    async def load() -> None:
        await devices.load()
        await access.load()
        sessions.forget_stale()
        # What was just loaded lives long: the cyclic garbage collector stops walking it on
        # every full collection (with a million devices those walks paused requests for
        # seconds). Refcounting still frees a snapshot once a newer version replaces it.
        gc.freeze()

    service.on_startup(load)
    service.every(settings.memory_resync_s, load)
    return (replace(stores, devices=devices, access=access, sessions=sessions),
            MemoryFeed(devices.memory, access, sessions))


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    service = build_service(settings)
    assert service.rpc is not None
    stores, memory = with_memory_reads(service, settings, GatewayStores.of(service.db))
    metrics = GatewayMetrics(service.registry)
    live = MeteredLiveUpdates(metrics)
    commands = command_policy(settings)
    pending = PendingCommands(commands.pending_for)
    subscribe_projections(
        service, settings, Projections(stores),
        LiveFeed(stores.devices, live, memory.devices if memory else None), memory, pending)
    service.produces(COMMANDS_REQUESTED, LINKS_REQUESTS, SESSIONS,
                     RPC_AUTH_VERIFY, RPC_AUTH_REVERIFY, RPC_ADMIN)
    service.on_startup(stores.create_indexes)
    imports, reservations = wire_link_admin(service, settings)
    policy = session_policy(settings)
    passcodes = PasscodeDesk(stores, opening_key(settings),
                             timedelta(seconds=settings.passcode_keep_s))

    async def sweep_expired() -> None:
        await stores.sweep_expired(policy)
        await passcodes.sweep(utc_now())

    service.every(settings.session_sweep_s, sweep_expired)
    wipe_breaker = MeteredWipeBreaker(metrics, stores.wipe_breaker, wipe_breaker_policy(settings))
    service.on_startup(wipe_breaker.refresh)
    service.every(settings.wipe_breaker_poll_s, wipe_breaker.refresh)

    app = PortalApp(title="Device self-service portal", version=service.version,
                    lifespan=service.lifespan, docs_url=None, redoc_url=None)
    app.state.service = service
    app.state.gateway = Gateway(
        settings=settings, stores=stores, live=live,
        auth=MeteredAuthentication(metrics, stores, service.rpc, policy, login_limit(settings),
                                   login_address_limit(settings), service.publisher),
        commands=CommandDesk(stores, service.publisher, commands, wipe_breaker,
                             settings.portal_request_signer(), pending),
        admin=AdminDesk(stores, service.rpc, service.publisher), passcodes=passcodes,
        imports=imports, reservations=reservations)
    app.edge_rules = EdgeRules(
        max_body_bytes=settings.max_body_bytes, metrics=metrics.http,
        content_security_policy=content_security_policy(
            image_origins=[origin] if (origin := settings.map_tile_origin()) else []))
    install_problem_handlers(app, render_page_error)
    metrics.install(app)
    if service.tracing:  # one server span per request, continued over Kafka
        app.traced = True
        FastAPIInstrumentor.instrument_app(app, excluded_urls=UNTRACED_PATHS)
    app.include_router(api_router())
    app.include_router(web_router())
    app.router.routes.extend(api_docs_routes(app.openapi_url or "", f"{app.title} - API"))
    app.router.routes.append(declare_public(
        Mount("/static", StaticFiles(directory=STATIC_DIR), name="static")))
    for route in ops_routes(service) if not settings.ops_port else []:  # else: own listener
        app.router.routes.append(declare_public(route))
    for route in app.router.routes:  # FastAPI's own /openapi.json
        if getattr(route, "path", None) == app.openapi_url:
            declare_public(route)
    return app


class PortalApp(FastAPI):
    """One middleware (http/edge.py) instead of the stack Starlette and FastAPI build.

    Each operation of the OpenAPI document names its guard as `x-guard` (public, user or
    admin), so clients and the security tests read who may call it from the document."""

    edge_rules: EdgeRules | None = None
    traced = False

    def build_middleware_stack(self) -> ASGIApp:
        if self.edge_rules is None:  # not set up by create_app: FastAPI's own stack
            return super().build_middleware_stack()
        edge = Edge(self.router, self.edge_rules, self.exception_handlers)
        # The tracing instrumentation takes the app out of a ServerErrorMiddleware to put its
        # span around it (and leaves the app untraced when it finds none).
        return ServerErrorMiddleware(edge) if self.traced else edge

    def openapi(self) -> dict[str, Any]:
        if self.openapi_schema is None:
            guards = {(ctx.path_format, method.lower()): route_guard(ctx)
                      for ctx in every_route(self.routes) for method in (ctx.methods or ())}
            schema = super().openapi()
            for path, operations in schema.get("paths", {}).items():
                for method, operation in operations.items():
                    operation["x-guard"] = guards.get((path, method))
            self.openapi_schema = schema
        return self.openapi_schema


def _documented(settings: Settings) -> Built:
    app = create_app(settings)
    return Built(app.state.service, [Endpoints("8000", app.routes)])


# How the document generators find this service (pyproject.toml: entry point `ssp.services`).
REGISTRATION = Registration(Settings, _documented)
