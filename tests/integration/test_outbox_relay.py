"""The outbox relay on the real broker and database: batches of documents publish every event
once and in order per document, and a record the broker refuses stays, with the events behind
it, until a later flush publishes it."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import pytest
from prometheus_client import CollectorRegistry
from ssp_contracts.topics import AUDIT
from ssp_runtime.kafka import EventPublisher
from ssp_runtime.mongo import Database
from ssp_runtime.outbox import OutboxRelay

from tests.support.kafka import Tail
from tests.support.waiting import eventually

DOCS = 120
EVENTS = 3


class RefusingPublisher(EventPublisher):
    """Fails the delivery of records whose key is in `refused`, like a broker timing out."""

    def __init__(self, bootstrap: str) -> None:
        super().__init__(bootstrap, "tests", "outbox-relay-test")
        self.refused: set[str] = set()

    async def send_raw(self, topic: str, value: bytes | None, *, key: str,
                       headers: Any) -> asyncio.Future[Any]:
        if key in self.refused:
            failed: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
            failed.set_exception(TimeoutError("no ack"))
            return failed
        return await super().send_raw(topic, value, key=key, headers=headers)


def entry(run_id: str, doc: int, n: int) -> dict[str, Any]:
    return {"id": f"{run_id}-{doc}-{n}", "topic": AUDIT, "key": f"{run_id}-{doc}",
            "headers": {"ce_id": f"{run_id}-{doc}-{n}"}, "value": f'{{"n": {n}}}',
            "created_at": datetime.now(UTC)}


@pytest.fixture(params=["serialized", "plain"])
async def relay(request, mongo, bootstrap, run_id):
    db = mongo[f"t{run_id}_relay"]
    publisher = RefusingPublisher(bootstrap)
    await publisher.start()
    relay = OutboxRelay(Database(db, serialize_writes=request.param == "serialized"),
                        publisher, CollectorRegistry())
    relay.watch("docs")
    yield relay, db["docs"], publisher
    await relay.stop()
    await publisher.stop()
    await mongo.drop_database(f"t{run_id}_relay")


async def test_a_batch_publishes_each_event_once_in_order(relay, bootstrap, run_id):
    relay, docs, _ = relay
    await docs.insert_many([{"_id": f"{run_id}-{d}", "_outbox": [entry(run_id, d, n)
                                                                 for n in range(EVENTS)]}
                            for d in range(DOCS)])
    async with Tail(bootstrap, AUDIT) as audit:
        await relay.start()  # the start-up sweep queues them all
        mine = await audit.wait_for(lambda r: r.key.decode().startswith(f"{run_id}-"),
                                    count=DOCS * EVENTS, timeout_s=60)
        for _ in range(5):  # and nothing more arrives
            await audit.poll(0.2)
    mine = [r for r in audit.seen if r.key.decode().startswith(f"{run_id}-")]
    assert len(mine) == DOCS * EVENTS
    for d in range(DOCS):
        ids = [dict(r.headers)["ce_id"].decode() for r in mine if r.key == f"{run_id}-{d}".encode()]
        assert ids == [f"{run_id}-{d}-{n}" for n in range(EVENTS)]

    async def drained() -> bool:
        return await docs.count_documents({"_outbox.0": {"$exists": True}}) == 0

    await eventually(drained, what="every outbox empty")


async def test_a_refused_record_stays_with_what_follows_it(relay, bootstrap, run_id):
    relay, docs, publisher = relay
    stuck, fine = f"{run_id}-0", f"{run_id}-1"
    await docs.insert_many([{"_id": key, "_outbox": [entry(run_id, d, n) for n in range(EVENTS)]}
                            for d, key in enumerate((stuck, fine))])
    publisher.refused.add(stuck)
    with pytest.raises(RuntimeError, match="the rest later"):
        await relay.flush_many("docs", [stuck, fine])
    assert (await docs.find_one({"_id": fine}))["_outbox"] == []
    left = (await docs.find_one({"_id": stuck}))["_outbox"]
    assert [e["id"] for e in left] == [f"{run_id}-0-{n}" for n in range(EVENTS)]

    # Appended meanwhile, then the broker is back: everything leaves, in order.
    await docs.update_one({"_id": stuck}, {"$push": {"_outbox": entry(run_id, 0, EVENTS)}})
    publisher.refused.clear()
    async with Tail(bootstrap, AUDIT) as audit:
        assert await relay.flush_many("docs", [stuck]) == EVENTS + 1
        sent = await audit.wait_for(lambda r: r.key == stuck.encode(), count=EVENTS + 1)
    assert [dict(r.headers)["ce_id"].decode() for r in sent] == [
        f"{run_id}-0-{n}" for n in range(EVENTS + 1)]
    assert (await docs.find_one({"_id": stuck}))["_outbox"] == []
