"""Poison on every consumed topic: each consumer dead-letters it to `<topic>.dlq` and goes on.

The topics come from `ssp_contracts.topics.TOPICS` and their consumers from the services'
committed AsyncAPI documents (tests/ops checks those are current), so a new topic or a new
consumer is covered without touching this file; a topic nobody consumes must say why below.
"""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path

import pytest
from ssp_contracts.topics import SESSIONS, TOPICS, dlq_name

from tests.faults.pipeline import running_pipeline
from tests.support.kafka import Tail, headers_of

CATALOGUE = Path(__file__).resolve().parents[2] / "docs" / "asyncapi"
NOT_CONSUMED = {SESSIONS: "read only by gateways that answer from memory (SSP_MEMORY_READS), "
                          "to forget a session another instance ended; the catalogue is made "
                          "without it"}
POISONS = (b"\xff\xfe not JSON at all",
           b'{"org_id": "x", "unexpected": true}')  # JSON, but no contract's shape


def consumers() -> dict[str, set[str]]:
    """Topic -> the services that consume it."""
    found: dict[str, set[str]] = {}
    for path in sorted(CATALOGUE.glob("*.json")):
        doc = json.loads(path.read_text())
        for operation in doc["operations"].values():
            if operation["action"] != "receive":
                continue
            channel = doc["channels"][operation["channel"]["$ref"].rsplit("/", 1)[1]]
            found.setdefault(channel["address"], set()).add(doc["info"]["title"])
    return found


def test_every_topic_is_consumed_or_says_why_not():
    consumed = consumers()
    silent = {t for t in TOPICS if t not in consumed} - set(NOT_CONSUMED)
    assert not silent, f"topics nobody consumes: add them to NOT_CONSUMED with why: {silent}"
    assert not set(NOT_CONSUMED) & set(consumed), "NOT_CONSUMED lists a consumed topic"


def _groups_past_both(dlq: Tail, keys: set[str]) -> set[str]:
    """Consumer groups that dead-lettered both poisons of one of `keys`."""
    by_group: dict[tuple[str, bytes], set[bytes]] = {}
    for r in dlq.seen:
        if r.key is not None and r.key.decode() in keys and r.value is not None:
            group = headers_of(r).get("dlq_consumer_group", "")
            by_group.setdefault((group, r.key), set()).add(r.value)
    return {group for (group, _), values in by_group.items() if values == set(POISONS)}


@pytest.mark.timeout(600)
async def test_poison_on_every_consumed_topic_is_dead_lettered_and_consumers_go_on(
        services, bootstrap, mongo, run_id):
    consumed = {t: s for t, s in consumers().items() if t in TOPICS}
    async with running_pipeline(services, bootstrap, run_id, gateway=True) as pipeline:
        missing: dict[str, str] = {}
        for topic, readers in sorted(consumed.items()):
            async with Tail(bootstrap, dlq_name(topic)) as dlq:
                keys: set[str] = set()
                deadline = time.monotonic() + 90
                # Two poisons in a row under one key (one partition): the second is read only
                # if the consumer went past the first. Sent again every 10 s until every
                # consumer has dead-lettered one pair (a consumer may not be assigned yet).
                while len(_groups_past_both(dlq, keys)) < len(readers):
                    if time.monotonic() > deadline:
                        missing[topic] = f"{sorted(readers)}: {_groups_past_both(dlq, keys)}"
                        break
                    key = f"poison-{uuid.uuid4().hex[:8]}"
                    keys.add(key)
                    for value in POISONS:
                        await pipeline.producer.send_raw(topic, value, key=key, headers={
                            "ce_type": "ssp.poison.v1", "ce_id": str(uuid.uuid4())})
                    resend_at = time.monotonic() + 10
                    while time.monotonic() < resend_at and \
                            len(_groups_past_both(dlq, keys)) < len(readers):
                        await dlq.poll(0.5)
        assert not missing, missing
        # And the pipeline still works end to end after all of that.
        await pipeline.request(2 * len(pipeline.targets))
        problems = await pipeline.verdict(mongo, timeout_s=120)
        assert not problems, "\n".join(problems)
