"""Retry, dead-letter and validation behaviour of every consumer, without a broker."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from aiokafka import ConsumerRecord
from prometheus_client import CollectorRegistry
from pymongo.errors import AutoReconnect
from ssp_contracts import ServiceHeartbeat, cloudevents
from ssp_runtime.consuming import (
    ContractViolation,
    PermanentError,
    Subscriptions,
    decode_event,
)

NOW = datetime(2026, 11, 27, tzinfo=UTC)
BEAT = ServiceHeartbeat(org_id="system", service="s", instance_id="i", version="1",
                        started_at=NOW, sent_at=NOW)


class RecordingPublisher:
    def __init__(self) -> None:
        self.sent: list[tuple[str, bytes | None, str, list[tuple[str, bytes]]]] = []

    async def publish_raw(self, topic, value, *, key, headers):
        self.sent.append((topic, value, key, headers))


def record(value: bytes | None, headers: dict[str, str] | None = None) -> ConsumerRecord:
    hdrs = tuple((k, v.encode()) for k, v in (headers or {}).items())
    return ConsumerRecord("ssp.t", 2, 41, 0, 0, b"key-1", value, None, 0, 0, hdrs)


def subs(retries: int = 2) -> tuple[Subscriptions, RecordingPublisher]:
    pub = RecordingPublisher()
    return Subscriptions(broker=None, publisher=pub, service="svc",  # type: ignore[arg-type]
                         registry=CollectorRegistry(), retries=retries, backoff_s=0), pub


def test_decode_picks_the_model_named_by_ce_type():
    headers = cloudevents.to_headers(BEAT, source="t")
    assert decode_event(cloudevents.to_value(BEAT), headers, (ServiceHeartbeat,)) == BEAT


@pytest.mark.parametrize(("value", "headers"), [
    (b"not json", {}),
    (b'{"org_id": "x"}', {}),
    (None, {}),
    (cloudevents.to_value(BEAT), {"ce_type": "ssp.something.else.v1"}),
])
def test_decode_refuses_what_does_not_fit(value, headers):
    with pytest.raises(ContractViolation):
        decode_event(value, headers, (ServiceHeartbeat,))


async def test_invalid_record_goes_to_dlq_with_the_error_and_original_bytes():
    s, pub = subs()
    calls = []

    async def handler(event, delivery):
        calls.append(event)

    await s._process(record(b"{broken", {"ce_type": BEAT.event_type}), (ServiceHeartbeat,),
                     False, handler, "g")
    assert calls == []
    [(topic, value, key, headers)] = pub.sent
    assert (topic, value, key) == ("ssp.t.dlq", b"{broken", "key-1")
    h = dict(headers)
    assert h["dlq_error_type"] == b"ContractViolation"
    assert h["dlq_original_offset"] == b"41" and h["dlq_original_partition"] == b"2"
    assert h["ce_type"] == BEAT.event_type.encode()  # original headers kept


async def test_failing_handler_is_retried_then_dead_lettered():
    s, pub = subs(retries=2)
    attempts = []

    async def handler(event, delivery):
        attempts.append(1)
        raise ValueError("boom")

    await s._process(record(cloudevents.to_value(BEAT)), (ServiceHeartbeat,), False, handler, "g")
    assert len(attempts) == 3  # first try + 2 retries
    assert dict(pub.sent[0][3])["dlq_attempts"] == b"3"


async def test_permanent_error_skips_retries():
    s, pub = subs(retries=5)
    attempts = []

    async def handler(event, delivery):
        attempts.append(1)
        raise PermanentError("device unknown")

    await s._process(record(cloudevents.to_value(BEAT)), (ServiceHeartbeat,), False, handler, "g")
    assert len(attempts) == 1 and len(pub.sent) == 1


async def test_infrastructure_errors_are_retried_without_dead_lettering():
    s, pub = subs(retries=0)
    attempts = []

    async def handler(event, delivery):
        attempts.append(1)
        if len(attempts) < 4:
            raise AutoReconnect("database away")

    await s._process(record(cloudevents.to_value(BEAT)), (ServiceHeartbeat,), False, handler, "g")
    assert len(attempts) == 4 and pub.sent == []


async def test_tombstones_reach_handlers_that_accept_them():
    s, pub = subs()
    seen = []

    async def handler(event, delivery):
        seen.append((event, delivery.key))

    await s._process(record(None), (ServiceHeartbeat,), True, handler, "g")
    assert seen == [(None, "key-1")] and pub.sent == []


def test_dead_letter_value_is_untouched_json():
    assert json.loads(cloudevents.to_value(BEAT))["service"] == "s"


def beat(instance: str, offset: int) -> ConsumerRecord:
    value = cloudevents.to_value(BEAT.model_copy(update={"instance_id": instance}))
    hdrs = tuple((k, v.encode()) for k, v in cloudevents.to_headers(BEAT, source="t").items())
    return ConsumerRecord("ssp.t", 0, offset, 0, 0, b"k", value, None, 0, 0, hdrs)


async def test_a_batch_reaches_its_handler_whole_without_the_record_that_does_not_fit():
    s, pub = subs()
    batches = []

    async def handler(batch):
        batches.append([(event.instance_id, d.offset) for event, d in batch])

    await s._process_batch((beat("a", 1), record(b"{broken", {"ce_type": BEAT.event_type}),
                            beat("b", 3)), (ServiceHeartbeat,), False, handler, "g")
    assert batches == [[("a", 1), ("b", 3)]]
    assert [sent[0] for sent in pub.sent] == ["ssp.t.dlq"]


async def test_a_failing_batch_is_applied_record_by_record_and_only_the_bad_one_dead_lettered():
    s, pub = subs(retries=1)
    applied = []

    async def handler(batch):
        if any(event.instance_id == "bad" for event, _ in batch):
            raise ValueError("cannot apply")
        applied.extend(event.instance_id for event, _ in batch)

    await s._process_batch((beat("a", 1), beat("bad", 2), beat("c", 3)), (ServiceHeartbeat,),
                           False, handler, "g")
    assert applied == ["a", "c"]
    [(topic, _, _, headers)] = pub.sent
    assert topic == "ssp.t.dlq" and dict(headers)["dlq_original_offset"] == b"2"


async def test_a_batch_meeting_a_database_outage_is_retried_whole_until_it_works():
    s, pub = subs(retries=0)
    calls = []

    async def handler(batch):
        calls.append(len(batch))
        if len(calls) < 3:
            raise AutoReconnect("database restarting")

    await s._process_batch((beat("a", 1), beat("b", 2)), (ServiceHeartbeat,), False,
                           handler, "g")
    assert calls == [2, 2, 2] and pub.sent == []
