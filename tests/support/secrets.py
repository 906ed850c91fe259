"""Proof that a one-time secret left the dispatcher only sealed: not on Kafka, not in its
database, not in its log."""

from __future__ import annotations

import asyncio
from pathlib import Path

from aiokafka import ConsumerRecord
from bson import json_util
from pymongo import AsyncMongoClient

from tests.conftest import database_name


async def dump_database(mongo: AsyncMongoClient, run_id: str,
                        module: str = "command_dispatcher") -> str:
    db = mongo[database_name(run_id, module)]
    parts = []
    for name in await db.list_collection_names():
        async for doc in db[name].find({}):
            parts.append(json_util.dumps(doc))
    return "\n".join(parts)


async def assert_nowhere_in_clear(secret: str, *, records: list[ConsumerRecord],
                                  mongo: AsyncMongoClient, run_id: str, log: Path) -> None:
    assert secret
    for record in records:
        assert secret.encode() not in (record.value or b""), f"in clear on {record.topic}"
        assert all(secret.encode() not in value for _, value in record.headers or ())
    dump = await dump_database(mongo, run_id)
    assert dump, "the dispatcher's database is empty: wrong database?"
    assert secret not in dump, "in clear in the dispatcher's database"
    log_text = await asyncio.to_thread(log.read_text, errors="replace")
    assert secret not in log_text, "in clear in the dispatcher's log"
