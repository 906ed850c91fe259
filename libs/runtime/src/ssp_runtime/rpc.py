"""Request/reply over Kafka, for the few places where a person waits for an answer.

FastStream's `broker.request()` works only with its in-memory test broker, so this is done by
hand: the requester publishes with `reply_to` and `correlation_id` headers and a deadline; the
responder publishes its answer to `reply_to`; every requester instance reads its service's whole
reply topic (no consumer group) and resolves the future of each correlation id it is waiting for.
A request whose deadline passed is dropped by the responder: nobody waits for it any more, and an
administrative change must not land after its requester was told it failed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from aiokafka import AIOKafkaConsumer, TopicPartition
from pydantic import BaseModel
from ssp_contracts import cloudevents
from ssp_contracts.base import Event

from ssp_runtime.consuming import Delivery, Subscriptions
from ssp_runtime.kafka import METADATA_MAX_AGE_MS, EventPublisher

log = logging.getLogger(__name__)

R = TypeVar("R", bound=BaseModel)
DEADLINE_HEADER = "rpc_deadline"


class RpcTimeout(Exception):
    """No answer in time: the responding service is down, slow or unreachable."""


class RpcClient:
    def __init__(self, bootstrap: str, publisher: EventPublisher, reply_topic: str,
                 timeout_s: float) -> None:
        self.bootstrap = bootstrap
        self.publisher = publisher
        self.reply_topic = reply_topic
        self.timeout_s = timeout_s
        self._waiting: dict[str, asyncio.Future[bytes]] = {}
        self._consumer: AIOKafkaConsumer | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self.bootstrap, group_id=None, auto_offset_reset="latest",
            enable_auto_commit=False, fetch_max_wait_ms=50,
            metadata_max_age_ms=METADATA_MAX_AGE_MS, **self.publisher.options,
        )
        await consumer.start()
        partitions = await _partitions(consumer, self.reply_topic)
        tps = [TopicPartition(self.reply_topic, p) for p in partitions]
        consumer.assign(tps)
        await consumer.seek_to_end(*tps)
        for tp in tps:  # resolve positions now, so no reply published after start is missed
            await consumer.position(tp)
        self._consumer = consumer
        self._task = asyncio.create_task(self._read_replies())

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._consumer:
            await self._consumer.stop()
        for fut in self._waiting.values():
            fut.cancel()

    async def request(self, topic: str, payload: Event, reply_model: type[R],
                      timeout_s: float | None = None) -> R:
        timeout = timeout_s or self.timeout_s
        cid = str(uuid.uuid4())
        fut: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()
        self._waiting[cid] = fut
        try:
            await self.publisher.publish(
                topic, payload, headers={
                    "reply_to": self.reply_topic, "correlation_id": cid,
                    DEADLINE_HEADER: f"{time.time() + timeout:.3f}",
                })
            raw = await asyncio.wait_for(fut, timeout)
        except TimeoutError as exc:
            raise RpcTimeout(f"no answer on {topic} within {timeout:.0f}s") from exc
        finally:
            self._waiting.pop(cid, None)
        return reply_model.model_validate_json(raw)

    async def _read_replies(self) -> None:
        assert self._consumer is not None
        while True:
            batches = await self._consumer.getmany(timeout_ms=500)
            for records in batches.values():
                for record in records:
                    cid = next((v.decode() for k, v in record.headers or () if
                                k == "correlation_id"), None)
                    fut = self._waiting.get(cid or "")
                    if fut is not None and not fut.done() and record.value:
                        fut.set_result(record.value)


def responder(subs: Subscriptions, publisher: EventPublisher, topic: str,
              model: type[Event], description: str = "",
              ) -> Callable[[Callable[[Any], Awaitable[BaseModel]]], Any]:
    """Register `handler(request) -> reply model` to answer requests on `topic`."""

    def register(handler: Callable[[Any], Awaitable[BaseModel]]) -> Any:
        async def answer(request: Event, delivery: Delivery) -> None:
            deadline = float(delivery.headers.get(DEADLINE_HEADER) or "inf")
            if time.time() > deadline or not delivery.reply_to:
                log.info("dropping expired or unanswerable request", extra={"topic": topic})
                return
            reply = await handler(request)
            await publisher.publish_raw(
                delivery.reply_to, reply.model_dump_json().encode(),
                key=delivery.correlation_id or "",
                headers={"correlation_id": delivery.correlation_id or "",
                         "content-type": cloudevents.CONTENT_TYPE},
            )

        answer.__name__ = handler.__name__
        answer.__doc__ = handler.__doc__
        subs.subscribe(topic, model, description=description)(answer)
        return handler

    return register


async def _partitions(consumer: AIOKafkaConsumer, topic: str) -> list[int]:
    for _ in range(50):
        parts = consumer.partitions_for_topic(topic)
        if parts:
            return sorted(parts)
        await consumer._client.force_metadata_update()
        await asyncio.sleep(0.1)
    raise RuntimeError(f"reply topic {topic} does not exist")
