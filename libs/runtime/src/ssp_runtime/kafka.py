"""Kafka: the broker factory with safe producer defaults, topic creation, and publishing
contract events as CloudEvents (binary mode)."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.opentelemetry import KafkaTelemetryMiddleware
from faststream.kafka.prometheus import KafkaPrometheusMiddleware
from prometheus_client import CollectorRegistry
from ssp_contracts import cloudevents
from ssp_contracts.base import Event
from ssp_contracts.topics import spec_for

from ssp_runtime import tracing
from ssp_runtime.settings import ServiceSettings

log = logging.getLogger(__name__)


def make_broker(settings: ServiceSettings, service: str,
                registry: CollectorRegistry) -> KafkaBroker:
    """aiokafka's defaults (acks=1, no idempotence) and FastStream's (commit on receipt) can lose
    records; every producer and consumer here is set explicitly instead. With tracing on, the
    telemetry middleware continues each record's trace (its `traceparent` header)."""
    middlewares: list[Any] = [KafkaPrometheusMiddleware(registry=registry, app_name=service)]
    if tracing.enabled():
        middlewares.insert(0, KafkaTelemetryMiddleware())
    return KafkaBroker(
        settings.kafka_bootstrap_servers,
        client_id=f"{service}-{settings.instance_id}",
        acks="all",
        enable_idempotence=True,
        linger_ms=1,
        ack_policy=AckPolicy.NACK_ON_ERROR,
        allow_auto_create_topics=False,
        middlewares=middlewares,
        logger=logging.getLogger(f"faststream.{service}"),
        log_level=logging.DEBUG,  # one line per record at INFO would drown the real logs
        graceful_timeout=15.0,
    )


async def ensure_topics(bootstrap: str, topics: Iterable[str], *, partitions_override: int = 0,
                        replication_factor: int = 1) -> None:
    """Create missing topics with the partitions and cleanup policy of the topic table."""
    wanted = sorted(set(topics))
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, client_id="ssp-topic-setup")
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

    def __init__(self, bootstrap: str, source: str, client_id: str) -> None:
        self.source = source
        self.bootstrap = bootstrap
        self.client_id = client_id
        self._producer: AIOKafkaProducer | None = None
        self.started = False

    async def start(self) -> None:
        # aiokafka binds to the running loop, so the producer is made here, not in __init__.
        self._producer = AIOKafkaProducer(
            bootstrap_servers=self.bootstrap, client_id=self.client_id, acks="all",
            enable_idempotence=True, linger_ms=1, request_timeout_ms=15000,
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
        """A pre-serialised record: outbox entries, tombstones (value None), dead letters.
        It carries the trace it belongs to: the one its headers name (an outbox entry keeps
        the context it was written in), else the current one."""
        items = list(headers.items() if isinstance(headers, dict) else headers)
        text = {k: v.decode(errors="replace") if isinstance(v, bytes) else str(v)
                for k, v in items}
        with tracing.producer_span(topic, text) as trace_headers:
            encoded = [(k, v if isinstance(v, bytes) else str(v).encode()) for k, v in items
                       if k not in trace_headers]
            encoded += [(k, v.encode()) for k, v in trace_headers.items()]
            await self._running().send_and_wait(topic, value, key=key.encode(),
                                                headers=encoded)

    def _running(self) -> AIOKafkaProducer:
        if self._producer is None:
            raise RuntimeError("publisher not started")
        return self._producer
