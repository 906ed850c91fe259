"""Kafka clients that the fault suite (tests/faults) found wanting: the publisher outlives a
producer that died for good (after a broker restart one dispatcher's producer answered
OutOfOrderSequenceNumber to every send, forever), and a service reaches every broker it is
given."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from aiokafka.errors import KafkaTimeoutError, OutOfOrderSequenceNumber
from prometheus_client import CollectorRegistry
from ssp_contracts import ServiceHeartbeat
from ssp_runtime import kafka
from ssp_runtime.kafka import EventPublisher, make_broker
from ssp_runtime.settings import ServiceSettings

BEAT = ServiceHeartbeat(org_id="system", service="s", instance_id="i", version="1",
                        started_at=datetime(2026, 11, 27, tzinfo=UTC),
                        sent_at=datetime(2026, 11, 27, tzinfo=UTC))


class FakeProducer:
    """Like aiokafka's idempotent producer: after a fatal error, every send raises it again."""

    made: list[FakeProducer] = []
    fail_first_with: BaseException | None = None

    def __init__(self, **config: object) -> None:
        self.config, self.sent, self.stopped = config, [], False
        self.error = FakeProducer.fail_first_with if not FakeProducer.made else None
        FakeProducer.made.append(self)

    async def start(self) -> None:
        pass

    async def stop(self) -> None:
        self.stopped = True

    async def send(self, topic, value, *, key, headers):  # type: ignore[no-untyped-def]
        """The delivery future, failed like aiokafka's when the producer is dead."""
        await asyncio.sleep(0)
        delivery = asyncio.get_running_loop().create_future()
        if self.error is not None:
            delivery.set_exception(self.error)
        else:
            self.sent.append((topic, key))
            delivery.set_result(None)
        return delivery

    async def send_and_wait(self, topic, value, *, key, headers):  # type: ignore[no-untyped-def]
        return await (await self.send(topic, value, key=key, headers=headers))


@pytest.fixture
def fake_producer(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    FakeProducer.made = []
    monkeypatch.setattr(kafka, "AIOKafkaProducer", FakeProducer)
    yield FakeProducer


async def _publisher() -> EventPublisher:
    publisher = EventPublisher("broker:9092", source="tests", client_id="tests-1")
    await publisher.start()
    return publisher


async def test_a_dead_producer_is_replaced_and_the_record_sent_by_the_new_one(fake_producer):
    fake_producer.fail_first_with = OutOfOrderSequenceNumber()
    publisher = await _publisher()
    await publisher.publish("ssp.heartbeats", BEAT)
    await publisher.publish("ssp.heartbeats", BEAT)
    first, second = fake_producer.made
    assert first.stopped and not first.sent
    assert [topic for topic, _ in second.sent] == ["ssp.heartbeats", "ssp.heartbeats"]
    assert second.config["enable_idempotence"] is True


async def test_concurrent_failures_replace_the_producer_once(fake_producer):
    fake_producer.fail_first_with = OutOfOrderSequenceNumber()
    publisher = await _publisher()
    beats = [BEAT.model_copy(update={"instance_id": f"i{n}"}) for n in range(5)]
    await asyncio.gather(*(publisher.publish("ssp.heartbeats", b) for b in beats))
    assert len(fake_producer.made) == 2
    assert len(fake_producer.made[1].sent) == 5


async def test_other_errors_reach_the_caller_and_keep_the_producer(fake_producer):
    fake_producer.fail_first_with = KafkaTimeoutError()
    publisher = await _publisher()
    with pytest.raises(KafkaTimeoutError):
        await publisher.publish("ssp.heartbeats", BEAT)
    assert len(fake_producer.made) == 1



def test_every_broker_of_the_bootstrap_list_is_a_server_of_its_own():
    # Found by tests/faults against a 3-broker cluster: FastStream took "a:1,b:2" for one host
    # named "a:1,b:2", and no service could start against more than one broker.
    settings = ServiceSettings(kafka_bootstrap_servers="h1:9092, h2:9092,h3:9092")
    broker = make_broker(settings, "s", CollectorRegistry())
    assert broker._connection_kwargs["bootstrap_servers"] == ["h1:9092", "h2:9092", "h3:9092"]
    # and forgets a dead broker within seconds, not aiokafka's default 5 minutes
    assert broker._connection_kwargs["metadata_max_age_ms"] <= 30_000
