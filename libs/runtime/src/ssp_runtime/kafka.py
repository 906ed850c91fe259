"""Kafka: the broker factory with safe producer defaults, topic creation, and publishing
contract events as CloudEvents (binary mode)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterable
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import (
    InvalidProducerEpoch,
    OutOfOrderSequenceNumber,
    ProducerFenced,
    TopicAlreadyExistsError,
)
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.opentelemetry import KafkaTelemetryMiddleware
from faststream.kafka.prometheus import KafkaPrometheusMiddleware
from prometheus_client import CollectorRegistry
from ssp_contracts import cloudevents
from ssp_contracts.base import Event
from ssp_contracts.topics import spec_for

from ssp_runtime import tracing
from ssp_runtime.kafka_auth import KafkaOptions, with_defaults
from ssp_runtime.settings import ServiceSettings

log = logging.getLogger(__name__)

# Errors after which an idempotent aiokafka producer never sends again: its sender task has
# died and every later send raises the same error. A broker restart can cause the first one.
PRODUCER_FATAL = (OutOfOrderSequenceNumber, ProducerFenced, InvalidProducerEpoch)
# aiokafka keeps a dead broker in its metadata until the next refresh, 5 minutes by default:
# tests/faults measured every client stalling that long after one broker of three died.
METADATA_MAX_AGE_MS = 10_000


def bootstrap_list(servers: str) -> list[str]:
    """`host:port,host:port` as a list: FastStream takes a string for one single server."""
    return [server.strip() for server in servers.split(",") if server.strip()]


def make_broker(settings: ServiceSettings, service: str,
                registry: CollectorRegistry) -> KafkaBroker:
    """aiokafka's defaults (acks=1, no idempotence) and FastStream's (commit on receipt) can lose
    records; every producer and consumer here is set explicitly instead. With tracing on, the
    telemetry middleware continues each record's trace (its `traceparent` header)."""
    middlewares: list[Any] = [KafkaPrometheusMiddleware(registry=registry, app_name=service)]
    if tracing.enabled():
        middlewares.insert(0, KafkaTelemetryMiddleware())
    return KafkaBroker(
        bootstrap_list(settings.kafka_bootstrap_servers),
        client_id=f"{service}-{settings.instance_id}",
        acks="all",
        enable_idempotence=True,
        linger_ms=1,
        ack_policy=AckPolicy.NACK_ON_ERROR,
        allow_auto_create_topics=False,
        metadata_max_age_ms=METADATA_MAX_AGE_MS,
        middlewares=middlewares,
        logger=logging.getLogger(f"faststream.{service}"),
        log_level=logging.DEBUG,  # one line per record at INFO would drown the real logs
        graceful_timeout=15.0,
        security=settings.faststream_security(),
    )


async def ensure_topics(bootstrap: str, topics: Iterable[str], *, partitions_override: int = 0,
                        replication_factor: int = 1, options: KafkaOptions | None = None) -> None:
    """Create missing topics with the partitions and cleanup policy of the topic table.
    `options`: the client's credentials (`kafka_auth`); the environment's when not given."""
    wanted = sorted(set(topics))
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, client_id="ssp-topic-setup",
                                **with_defaults(options))
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        new = []
        for name in wanted:
            if name in existing:
                continue
            spec = spec_for(name)
            new.append(
                NewTopic(
                    name,
                    num_partitions=partitions_override or spec.partitions,
                    replication_factor=replication_factor,
                    topic_configs=spec.kafka_config(),
                )
            )
        if new:
            try:
                await admin.create_topics(new)
            except TopicAlreadyExistsError:
                pass  # another instance won the race
            log.info("created topics", extra={"topics": [t.name for t in new]})
    finally:
        await admin.close()


class EventPublisher:
    """Publishes contract events with CloudEvents headers and waits for the broker's ack.

    It owns an aiokafka producer (acks=all, idempotent) rather than going through FastStream's,
    because it must also send raw records with a null value (tombstones on compacted topics),
    which FastStream encodes as an empty value instead.
    """

    def __init__(self, bootstrap: str, source: str, client_id: str, *,
                 options: KafkaOptions | None = None) -> None:
        self.source = source
        self.bootstrap = bootstrap
        self.client_id = client_id
        # Credentials (`kafka_auth`); the RPC client reuses them for its reply consumer.
        self.options = with_defaults(options)
        self._producer: AIOKafkaProducer | None = None
        self._replacing = asyncio.Lock()
        self.started = False

    async def start(self) -> None:
        # aiokafka binds to the running loop, so the producer is made here, not in __init__.
        self._producer = AIOKafkaProducer(
            bootstrap_servers=self.bootstrap, client_id=self.client_id, acks="all",
            enable_idempotence=True, linger_ms=1, request_timeout_ms=15000,
            metadata_max_age_ms=METADATA_MAX_AGE_MS, **self.options,
        )
        await self._producer.start()
        self.started = True

    async def stop(self) -> None:
        if self._producer is not None:
            self.started = False
            await self._producer.stop()
            self._producer = None

    async def check(self) -> None:
        """Raises when no broker answers a metadata request."""
        await self._running().client.fetch_all_metadata()

    async def publish(self, topic: str, event: Event, *, key: str | None = None,
                      event_id: str | None = None, headers: dict[str, str] | None = None) -> str:
        """Publish and return the CloudEvents id."""
        ce = cloudevents.to_headers(event, source=self.source, event_id=event_id)
        if headers:
            ce.update(headers)
        await self.publish_raw(topic, cloudevents.to_value(event), key=key or event.subject(),
                               headers=ce)
        return ce["ce_id"]

    async def publish_raw(self, topic: str, value: bytes | None, *, key: str,
                          headers: dict[str, str] | list[tuple[str, bytes]]) -> None:
        """A pre-serialised record: outbox entries, tombstones (value None), dead letters."""
        await (await self.send_raw(topic, value, key=key, headers=headers))

    async def send_raw(self, topic: str, value: bytes | None, *, key: str,
                       headers: dict[str, str] | list[tuple[str, bytes]]) -> asyncio.Future[Any]:
        """Hand a record to the producer and return its delivery future (resolved by the
        broker's ack), so many records can be in flight at once. The record carries the trace
        it belongs to: the one its headers name (an outbox entry keeps the context it was
        written in), else the current one."""
        items = list(headers.items() if isinstance(headers, dict) else headers)
        text = {k: v.decode(errors="replace") if isinstance(v, bytes) else str(v)
                for k, v in items}
        producer = self._running()
        with tracing.producer_span(topic, text) as trace_headers:
            encoded = [(k, v if isinstance(v, bytes) else str(v).encode()) for k, v in items
                       if k not in trace_headers]
            encoded += [(k, v.encode()) for k, v in trace_headers.items()]
            try:
                sent = await producer.send(topic, value, key=key.encode(), headers=encoded)
            except PRODUCER_FATAL as exc:
                return asyncio.ensure_future(
                    self._resend(producer, exc, topic, value, key, encoded))
        return asyncio.ensure_future(self._delivered(producer, sent, topic, value, key, encoded))

    async def _delivered(self, producer: AIOKafkaProducer, sent: asyncio.Future[Any], topic: str,
                         value: bytes | None, key: str, headers: list[tuple[str, bytes]]) -> Any:
        try:
            return await sent
        except PRODUCER_FATAL as exc:
            return await self._resend(producer, exc, topic, value, key, headers)

    async def _resend(self, producer: AIOKafkaProducer, exc: BaseException, topic: str,
                      value: bytes | None, key: str, headers: list[tuple[str, bytes]]) -> Any:
        # The record was not written (an out-of-order batch is refused whole): a new
        # producer (new producer id, sequences from 0) sends it again, and every later one.
        log.warning("producer failed for good; starting a new one",
                    extra={"error": repr(exc), "topic": topic})
        await self._replace(producer)
        return await self._running().send_and_wait(topic, value, key=key.encode(), headers=headers)

    async def _replace(self, broken: AIOKafkaProducer) -> None:
        async with self._replacing:
            if id(self._producer) != id(broken):
                return  # a concurrent publish replaced it already
            with contextlib.suppress(Exception):
                await broken.stop()
            self._producer = None
            await self.start()

    def _running(self) -> AIOKafkaProducer:
        if self._producer is None:
            raise RuntimeError("publisher not started")
        return self._producer
