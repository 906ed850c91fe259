"""The shape every service has: one object that owns its clients and knows its topics.

A service's `app.py` builds a `Service`, registers handlers on it, and hands `service.asgi()`
to uvicorn (`ssp_runtime.serve`). Nothing connects before the ASGI lifespan starts.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from prometheus_client import (
    GC_COLLECTOR,
    PLATFORM_COLLECTOR,
    PROCESS_COLLECTOR,
    CollectorRegistry,
    Gauge,
    GCCollector,
    PlatformCollector,
    ProcessCollector,
)
from ssp_contracts import topics
from ssp_contracts.base import Event
from starlette.applications import Starlette
from starlette.routing import BaseRoute

from ssp_runtime.consumer_lag import ConsumerLag
from ssp_runtime.consuming import BatchHandler, Handler, Subscriptions
from ssp_runtime.db_metrics import DatabaseMetrics
from ssp_runtime.heartbeat import Heartbeats
from ssp_runtime.kafka import EventPublisher, ensure_topics, make_broker
from ssp_runtime.mongo import Database, make_client
from ssp_runtime.ops_http import ops_routes
from ssp_runtime.outbox import OutboxRelay
from ssp_runtime.rpc import RpcClient, responder
from ssp_runtime.settings import ServiceSettings
from ssp_runtime.tracing import configure_tracing, flush

log = logging.getLogger(__name__)

Hook = Callable[[], Awaitable[Any]]
_ = (GC_COLLECTOR, PLATFORM_COLLECTOR, PROCESS_COLLECTOR)  # the default registry's; not ours


class Service:
    def __init__(self, name: str, settings: ServiceSettings, *, version: str = "0.1.0",
                 rpc_client: bool = False) -> None:
        self.name = name
        self.settings = settings
        self.version = version
        self.registry = CollectorRegistry()
        # Before the broker: its telemetry middleware is added only when tracing is on.
        self.tracing = configure_tracing(name, settings.otel_endpoint, settings.instance_id)
        for collector in (ProcessCollector, PlatformCollector, GCCollector):
            collector(registry=self.registry)
        self.broker = make_broker(settings, name, self.registry)
        self.kafka_options = settings.kafka_options()
        self.publisher = EventPublisher(
            settings.kafka_bootstrap_servers, source=name,
            client_id=f"{name}-{settings.instance_id}", options=self.kafka_options,
        )
        self.subs = Subscriptions(
            self.broker, self.publisher, name, self.registry,
            retries=settings.consumer_retries, backoff_s=settings.retry_backoff_s,
        )
        self.mongo = make_client(settings, name, [DatabaseMetrics(self.registry)])
        self.db = Database(self.mongo[settings.database_name(name)],
                           serialize_writes=settings.mongodb_serialize_writes)
        self.outbox = OutboxRelay(self.db, self.publisher, self.registry,
                                  poll_s=settings.outbox_poll_s)
        self.rpc = RpcClient(
            settings.kafka_bootstrap_servers, self.publisher, topics.rpc_replies(name),
            settings.rpc_timeout_s) if rpc_client else None
        self.heartbeats = Heartbeats(self, settings.heartbeat_interval_s)
        self.lag = ConsumerLag(settings.kafka_bootstrap_servers, self.subs, self.registry,
                               interval_s=settings.consumer_lag_interval_s,
                               client_id=f"{name}-{settings.instance_id}",
                               options=self.kafka_options)
        self.produced: set[str] = {topics.HEARTBEATS}
        self._startup: list[Hook] = []
        self._shutdown: list[Hook] = []
        self._tasks: list[asyncio.Task[None]] = []
        self.up = Gauge("ssp_service_up", "1 while the service runs", ["service"],
                        registry=self.registry)
        self.extra_routes: list[BaseRoute] = []

    # -- registration (app.py) ----------------------------------------------------------------

    def subscribe(self, topic: str, models: type[Event] | tuple[type[Event], ...],
                  **kwargs: Any) -> Callable[[Handler], Handler]:
        return self.subs.subscribe(topic, models, **kwargs)

    def subscribe_batch(self, topic: str, models: type[Event] | tuple[type[Event], ...],
                        **kwargs: Any) -> Callable[[BatchHandler], BatchHandler]:
        return self.subs.subscribe_batch(topic, models, **kwargs)

    def respond(self, topic: str, model: type[Event], description: str = "") -> Any:
        return responder(self.subs, self.publisher, topic, model, description)

    def produces(self, *names: str) -> None:
        self.produced.update(names)

    def on_startup(self, hook: Hook) -> Hook:
        self._startup.append(hook)
        return hook

    def on_shutdown(self, hook: Hook) -> Hook:
        self._shutdown.append(hook)
        return hook

    def every(self, seconds: float, job: Hook) -> None:
        """Run `job` periodically while the service runs; a failing run is logged, not fatal."""

        async def loop() -> None:
            while True:
                await asyncio.sleep(seconds)
                try:
                    await job()
                except Exception:
                    log.exception("periodic job failed", extra={"job": job.__name__})

        self._startup.append(lambda: self._spawn(loop()))

    # -- lifecycle ----------------------------------------------------------------------------

    async def _spawn(self, coro: Awaitable[None]) -> None:
        self._tasks.append(asyncio.ensure_future(coro))

    def all_topics(self) -> set[str]:
        needed = set(self.produced) | set(self.subs.topics)
        if self.rpc:
            needed.add(self.rpc.reply_topic)
        return needed

    async def start(self) -> None:
        if self.settings.create_topics:
            await ensure_topics(self.settings.kafka_bootstrap_servers, self.all_topics(),
                                partitions_override=self.settings.topic_partitions,
                                replication_factor=self.settings.topic_replication_factor,
                                options=self.kafka_options)
        await self.publisher.start()
        await self.db.command("ping")
        for hook in self._startup:
            await hook()
        await self.outbox.start()
        if self.rpc:
            await self.rpc.start()
        await self.broker.start()
        await self.heartbeats.start()
        await self.lag.start()
        self.up.labels(self.name).set(1)
        log.info("service started", extra={"instance": self.settings.instance_id})

    async def stop(self) -> None:
        self.up.labels(self.name).set(0)
        await self.lag.stop()
        await self.heartbeats.stop()
        await self.broker.stop()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self.rpc:
            await self.rpc.stop()
        await self.outbox.stop()
        for hook in reversed(self._shutdown):
            await hook()
        await self.publisher.stop()
        await self.mongo.close()
        await asyncio.to_thread(flush)  # the last spans of this process

    @contextlib.asynccontextmanager
    async def lifespan(self, _app: Any = None) -> AsyncIterator[None]:
        await self.start()
        try:
            yield
        finally:
            await self.stop()

    def asgi(self) -> Starlette:
        """Health, readiness and metrics for services that serve no other HTTP."""
        return Starlette(routes=[*ops_routes(self), *self.extra_routes], lifespan=self.lifespan)

    async def readiness(self) -> dict[str, str]:
        checks: dict[str, str] = {}
        try:
            await asyncio.wait_for(self.db.command("ping"), 2)
            checks["database"] = "ok"
        except Exception as exc:
            checks["database"] = f"unreachable: {type(exc).__name__}"
        try:
            await asyncio.wait_for(self.publisher.check(), 2)
            checks["kafka"] = "ok"
        except Exception as exc:
            checks["kafka"] = f"unreachable: {type(exc).__name__}"
        return checks
