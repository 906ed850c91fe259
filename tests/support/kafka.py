"""Test-side Kafka: produce raw or contract records, and watch a topic from "now"."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from ssp_contracts import cloudevents
from ssp_contracts.base import Event
from ssp_contracts.commands import CommandAuthorized
from ssp_runtime.kafka import METADATA_MAX_AGE_MS
from ssp_runtime.kafka_auth import kafka_options

from tests.support.signing import as_authorizer


async def create_topics(bootstrap: str, names: list[str], partitions: int) -> None:
    """Topics of a test's or a benchmark's own, outside the topic table."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, **kafka_options())
    await admin.start()
    try:
        await admin.create_topics([NewTopic(n, partitions, 1) for n in names])
    finally:
        await admin.close()


class Producer:
    def __init__(self, bootstrap: str) -> None:
        self.bootstrap = bootstrap
        self._p: AIOKafkaProducer | None = None

    async def __aenter__(self) -> Producer:
        self._p = AIOKafkaProducer(bootstrap_servers=self.bootstrap, acks="all",
                                   enable_idempotence=True,
                                   metadata_max_age_ms=METADATA_MAX_AGE_MS, **kafka_options())
        await self._p.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._p is not None
        await self._p.stop()

    async def send_event(self, topic: str, event: Event, *, key: str | None = None,
                         source: str = "tests", headers: dict[str, str] | None = None,
                         signed: bool = True) -> str:
        """A `CommandAuthorized` goes out signed as the permission-service's (the tests stand
        in for it) unless `signed` is False."""
        ce = cloudevents.to_headers(event, source=source)
        if signed and isinstance(event, CommandAuthorized):
            ce.update(as_authorizer(event))
        ce.update(headers or {})
        await self.send_raw(topic, cloudevents.to_value(event), key=key or event.subject(),
                            headers=ce)
        return ce["ce_id"]

    async def send_raw(self, topic: str, value: bytes | None, *, key: str,
                       headers: dict[str, str] | None = None) -> None:
        assert self._p is not None
        await self._p.send_and_wait(
            topic, value, key=key.encode(),
            headers=[(k, v.encode()) for k, v in (headers or {}).items()])


class Tail:
    """Reads `topic` from the offsets it had when the Tail was opened."""

    def __init__(self, bootstrap: str, topic: str) -> None:
        self.bootstrap = bootstrap
        self.topic = topic
        self.seen: list[ConsumerRecord] = []
        self._c: AIOKafkaConsumer | None = None

    async def __aenter__(self) -> Tail:
        self._c = AIOKafkaConsumer(bootstrap_servers=self.bootstrap, group_id=None,
                                   enable_auto_commit=False, fetch_max_wait_ms=100,
                                   metadata_max_age_ms=METADATA_MAX_AGE_MS, **kafka_options())
        await self._c.start()
        parts = None
        for _ in range(100):
            parts = self._c.partitions_for_topic(self.topic)
            if parts:
                break
            await self._c._client.force_metadata_update()
            await asyncio.sleep(0.1)
        assert parts, f"topic {self.topic} does not exist"
        tps = [TopicPartition(self.topic, p) for p in sorted(parts)]
        self._c.assign(tps)
        await self._c.seek_to_end(*tps)
        for tp in tps:
            await self._c.position(tp)
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._c is not None
        await self._c.stop()

    async def poll(self, timeout_s: float = 0.2) -> list[ConsumerRecord]:
        assert self._c is not None
        batches = await self._c.getmany(timeout_ms=int(timeout_s * 1000))
        new = [r for records in batches.values() for r in records]
        self.seen.extend(new)
        return new

    async def wait_for(self, predicate: Callable[[ConsumerRecord], bool],
                       timeout_s: float = 30.0, count: int = 1) -> list[ConsumerRecord]:
        deadline = time.monotonic() + timeout_s
        while True:
            matched = [r for r in self.seen if predicate(r)]
            if len(matched) >= count:
                return matched
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"{len(matched)}/{count} matching records on {self.topic} "
                    f"within {timeout_s}s (saw {len(self.seen)})")
            await self.poll()


def headers_of(record: ConsumerRecord) -> dict[str, str]:
    return {k: v.decode(errors="replace") for k, v in record.headers or ()}


def json_of(record: ConsumerRecord) -> dict[str, Any]:
    assert record.value is not None
    return json.loads(record.value)  # type: ignore[no-any-return]
