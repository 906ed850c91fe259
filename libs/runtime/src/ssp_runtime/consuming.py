"""Consuming contract events: validation, bounded retries, dead letters, at-least-once commits.

Every subscriber goes through `subscribe()`, so every consumer of the system behaves alike:
- the record is validated against its contract; a record that does not fit goes to
  `<topic>.dlq` at once with the error in headers, and the consumer moves on;
- infrastructure trouble (database or broker unreachable) is never the record's fault: the
  handler is retried with capped back-off until it works, and nothing is committed meanwhile;
- any other error is retried `consumer_retries` times, then the record goes to the DLQ;
- the offset is committed only after the handler (or the DLQ write) succeeded.

`subscribe_batch` gives a projection what `getmany` has buffered (up to `max_records`) in one
call, so it can read and write the database once per batch instead of once per record. The same
rules hold per record: a record that does not fit its contract is dead-lettered alone; a batch
that fails for any other reason is retried record by record, so only the bad one is
dead-lettered and the rest are applied; the batch's offsets are committed after all of that.
"""

from __future__ import annotations

import asyncio
import logging
import traceback
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from aiokafka import ConsumerRecord
from aiokafka.errors import KafkaConnectionError, KafkaTimeoutError, NodeNotReadyError
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from prometheus_client import CollectorRegistry, Counter
from pydantic import ValidationError
from pymongo.errors import ConnectionFailure
from ssp_contracts.base import Event
from ssp_contracts.cloudevents import header_text
from ssp_contracts.topics import dlq_name

from ssp_runtime import tracing
from ssp_runtime.kafka import EventPublisher
from ssp_runtime.logs import correlation_id

log = logging.getLogger(__name__)

TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    ConnectionFailure, KafkaConnectionError, KafkaTimeoutError, NodeNotReadyError,
    ConnectionError, TimeoutError,
)
MAX_TRANSIENT_BACKOFF_S = 10.0


class ContractViolation(Exception):
    """The record cannot be read as any accepted contract: retrying cannot help."""


class PermanentError(Exception):
    """A handler's verdict that this record can never be processed (goes to the DLQ)."""


@dataclass(frozen=True)
class Delivery:
    """Where a record came from, for handlers that need more than the event."""

    topic: str
    partition: int
    offset: int
    key: str | None
    headers: dict[str, str]
    timestamp_ms: int | None = None  # the record's Kafka timestamp (producer's or broker's)
    value: bytes | None = None  # the record's exact bytes (what a signature covers)

    @property
    def event_id(self) -> str | None:
        return self.headers.get("ce_id")

    @property
    def reply_to(self) -> str | None:
        return self.headers.get("reply_to") or None

    @property
    def correlation_id(self) -> str | None:
        return self.headers.get("correlation_id") or None

    @classmethod
    def of(cls, record: ConsumerRecord) -> Delivery:
        headers = {k: v.decode(errors="replace") for k, v in (record.headers or ())}
        key = record.key.decode(errors="replace") if record.key is not None else None
        return cls(record.topic, record.partition, record.offset, key, headers,
                   record.timestamp if record.timestamp is not None and record.timestamp >= 0
                   else None, record.value)


Handler = Callable[[Any, Delivery], Awaitable[Any]]
# A batch handler gets every record of the batch that fits its contract, in partition order.
BatchHandler = Callable[[list[tuple[Any, Delivery]]], Awaitable[Any]]


def decode_event(value: bytes | None, headers: dict[str, str],
                 models: tuple[type[Event], ...]) -> Event:
    if value is None:
        raise ContractViolation("empty (tombstone) record on a topic that does not take them")
    ce_type = header_text(headers, "ce_type")
    candidates = [m for m in models if m.event_type == ce_type] if ce_type else list(models)
    if not candidates:
        expected = ", ".join(m.event_type for m in models)
        raise ContractViolation(f"unexpected ce_type {ce_type!r}; expected one of {expected}")
    errors = []
    for model in candidates:
        try:
            return model.model_validate_json(value)
        except ValidationError as exc:
            errors.append(f"{model.__name__}: {exc}")
    raise ContractViolation("; ".join(errors)[:4000])


class ConsumerMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.dead_letters = Counter(
            "ssp_dlq_records", "Records sent to a dead-letter topic", ["topic", "reason"],
            registry=registry,
        )
        self.retries = Counter(
            "ssp_consumer_retries", "Handler retries", ["topic", "kind"], registry=registry
        )


@dataclass(frozen=True)
class Registration:
    """What one subscriber reads: for consumer-lag metrics and the AsyncAPI catalogue."""

    topic: str
    models: tuple[type[Event], ...]
    group: str
    description: str
    title: str
    from_beginning: bool = True


class Subscriptions:
    """Registers handlers on the broker with the behaviour described in the module doc."""

    def __init__(self, broker: KafkaBroker, publisher: EventPublisher, service: str,
                 registry: CollectorRegistry, *, retries: int, backoff_s: float) -> None:
        self.broker = broker
        self.publisher = publisher
        self.service = service
        self.metrics = ConsumerMetrics(registry)
        self.retries = retries
        self.backoff_s = backoff_s
        self.topics: list[str] = []
        self.registrations: list[Registration] = []

    def subscribe(self, topic: str, models: type[Event] | tuple[type[Event], ...], *,
                  group_id: str | None = None, tombstones: bool = False,
                  from_beginning: bool = True, description: str = "",
                  ) -> Callable[[Handler], Handler]:
        """`handler(event, delivery)`; with `tombstones=True` a null record arrives as None."""
        accepted = models if isinstance(models, tuple) else (models,)
        group = group_id or f"{self.service}.{topic}"

        def register(handler: Handler) -> Handler:
            async def on_record(body: Any, msg: KafkaMessage) -> None:
                await self._process(msg.raw_message, accepted, tombstones, handler, group)

            self._register(topic, accepted, group, handler, on_record, from_beginning,
                           description)
            return handler

        return register

    def subscribe_batch(self, topic: str, models: type[Event] | tuple[type[Event], ...], *,
                        group_id: str | None = None, tombstones: bool = False,
                        from_beginning: bool = True, description: str = "",
                        max_records: int = 500) -> Callable[[BatchHandler], BatchHandler]:
        """`handler([(event, delivery), ...])`: see the module doc. The handler must be
        idempotent per record (a failed batch is applied again record by record)."""
        accepted = models if isinstance(models, tuple) else (models,)
        group = group_id or f"{self.service}.{topic}"

        def register(handler: BatchHandler) -> BatchHandler:
            async def on_batch(body: Any, msg: KafkaMessage) -> None:
                await self._process_batch(msg.raw_message, accepted, tombstones, handler, group)

            # getmany answers at once when records are buffered; the timeout is only how long
            # an idle poll waits (FastStream then sleeps as long again).
            self._register(topic, accepted, group, handler, on_batch, from_beginning,
                           description, batch=True, max_records=max_records,
                           batch_timeout_ms=10)
            return handler

        return register

    def _register(self, topic: str, accepted: tuple[type[Event], ...], group: str,
                  handler: Callable[..., Any], callback: Callable[..., Awaitable[None]],
                  from_beginning: bool, description: str, **batching: Any) -> None:
        title = f"{self.service}:{topic}:{handler.__name__}"
        self.broker.subscriber(
            topic, group_id=group, ack_policy=AckPolicy.NACK_ON_ERROR,
            auto_offset_reset="earliest" if from_beginning else "latest",
            decoder=_keep_bytes, description=description or handler.__doc__,
            # A crashed member holds its partitions until its session expires: keep that
            # short so a restarted or surviving instance takes over within seconds.
            session_timeout_ms=6000, heartbeat_interval_ms=1500,
            # Responders publish their own replies; FastStream would also send the handler's
            # return value (None) to `reply_to`, an empty answer racing the real one.
            no_reply=True, title=title, **batching,
        )(callback)
        self.topics.extend([topic, dlq_name(topic)])
        self.registrations.append(Registration(
            topic, accepted, group, description or handler.__doc__ or "", title,
            from_beginning))

    async def _process_batch(self, records: tuple[ConsumerRecord, ...],
                             models: tuple[type[Event], ...], tombstones: bool,
                             handler: BatchHandler, group: str) -> None:
        fitting: list[tuple[ConsumerRecord, Any, Delivery]] = []
        for record in records:
            delivery = Delivery.of(record)
            try:
                event = None if (tombstones and record.value is None) else decode_event(
                    record.value, delivery.headers, models)
            except ContractViolation as exc:
                await self.dead_letter(record, delivery, exc, attempts=0, group=group)
                continue
            fitting.append((record, event, delivery))
        if not fitting:
            return
        transient = 0
        while True:
            try:
                await handler([(event, delivery) for _, event, delivery in fitting])
                return
            except TRANSIENT_ERRORS as exc:
                transient += 1
                self.metrics.retries.labels(fitting[0][0].topic, "transient").inc()
                delay = min(self.backoff_s * 2 ** min(transient, 10), MAX_TRANSIENT_BACKOFF_S)
                log.warning("transient failure, retrying the batch", extra={
                    "topic": fitting[0][0].topic, "records": len(fitting),
                    "error": repr(exc), "retry_in_s": delay})
                await asyncio.sleep(delay)
            except Exception:
                log.warning("batch failed; applying its records one by one", exc_info=True,
                            extra={"topic": fitting[0][0].topic, "records": len(fitting)})
                break

        async def one(event: Any, delivery: Delivery) -> None:
            await handler([(event, delivery)])

        for record, event, delivery in fitting:
            await self._run_with_retries(record, delivery, event, one, group)

    async def _process(self, record: ConsumerRecord, models: tuple[type[Event], ...],
                       tombstones: bool, handler: Handler, group: str) -> None:
        delivery = Delivery.of(record)
        try:
            event = None if (tombstones and record.value is None) else decode_event(
                record.value, delivery.headers, models)
        except ContractViolation as exc:
            await self.dead_letter(record, delivery, exc, attempts=0, group=group)
            return
        cid = _correlation(event, delivery)
        token = correlation_id.set(cid)
        if cid:
            tracing.mark(**{"ssp.correlation_id": cid})
        try:
            await self._run_with_retries(record, delivery, event, handler, group)
        finally:
            correlation_id.reset(token)

    async def _run_with_retries(self, record: ConsumerRecord, delivery: Delivery, event: Any,
                                handler: Handler, group: str) -> None:
        failures = transient = 0
        while True:
            try:
                await handler(event, delivery)
                return
            except PermanentError as exc:
                await self.dead_letter(record, delivery, exc, attempts=failures + 1, group=group)
                return
            except TRANSIENT_ERRORS as exc:
                transient += 1
                self.metrics.retries.labels(delivery.topic, "transient").inc()
                delay = min(self.backoff_s * 2 ** min(transient, 10), MAX_TRANSIENT_BACKOFF_S)
                log.warning("transient failure, retrying", extra={
                    "topic": delivery.topic, "offset": delivery.offset, "error": repr(exc),
                    "retry_in_s": delay})
                await asyncio.sleep(delay)
            except Exception as exc:
                failures += 1
                if failures > self.retries:
                    log.exception("handler failed; record goes to the DLQ", extra={
                        "topic": delivery.topic, "offset": delivery.offset})
                    await self.dead_letter(record, delivery, exc, attempts=failures, group=group)
                    return
                self.metrics.retries.labels(delivery.topic, "error").inc()
                await asyncio.sleep(self.backoff_s * 2 ** (failures - 1))

    async def dead_letter(self, record: ConsumerRecord, delivery: Delivery, exc: BaseException,
                          *, attempts: int, group: str) -> None:
        """The original bytes and headers, plus why, where from and when."""
        reason = type(exc).__name__
        headers = [*(record.headers or ()),
            ("dlq_error_type", reason.encode()),
            ("dlq_error_message", str(exc)[:4000].encode()),
            ("dlq_error_trace", "".join(traceback.format_exception(exc))[-4000:].encode()),
            ("dlq_original_topic", record.topic.encode()),
            ("dlq_original_partition", str(record.partition).encode()),
            ("dlq_original_offset", str(record.offset).encode()),
            ("dlq_consumer_group", group.encode()),
            ("dlq_attempts", str(attempts).encode()),
            ("dlq_failed_at", datetime.now(UTC).isoformat().encode())]
        await self.publisher.publish_raw(
            dlq_name(record.topic), record.value, key=delivery.key or "", headers=headers)
        self.metrics.dead_letters.labels(record.topic, reason).inc()
        log.warning("record sent to DLQ", extra={
            "topic": record.topic, "offset": record.offset, "error": str(exc)[:500]})


async def _keep_bytes(msg: Any) -> Any:
    """Hand the raw bytes through; validation against the contract happens in `_process`."""
    return msg.body


def _correlation(event: Any, delivery: Delivery) -> str | None:
    return getattr(event, "command_id", None) or delivery.correlation_id or delivery.event_id
