"""A test-side stand-in for the permission-service's request/reply answers.

It reads the RPC topics without a consumer group from "now" and answers only requests for
accounts a test registered (random orgs and names), so it never answers for anyone else on
the shared broker. The wire format is ssp_runtime.rpc's: the reply goes to the `reply_to`
header's topic with the request's `correlation_id` header.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from dataclasses import dataclass, field
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from ssp_contracts.rpc import AdminReply, CredentialsVerdict, ReverifyVerdict
from ssp_contracts.topics import RPC_ADMIN, RPC_AUTH_REVERIFY, RPC_AUTH_VERIFY
from ssp_runtime.kafka_auth import kafka_options


@dataclass
class Account:
    user_id: str
    org_id: str
    username: str
    password: str
    permissions: list[str]


@dataclass
class RpcResponder:
    bootstrap: str
    accounts: dict[tuple[str, str], Account] = field(default_factory=dict)
    # actor user id -> reply; (actor user id, op) -> the reply to that op only, first
    admin_replies: dict[str | tuple[str, str], AdminReply] = field(default_factory=dict)
    admin_requests: list[dict[str, Any]] = field(default_factory=list)
    # While True, a login for an account no test registered is refused (as the real
    # permission-service would) instead of left for another answerer: for fuzzing logins.
    refuse_unknown: bool = False
    _consumer: AIOKafkaConsumer | None = None
    _producer: AIOKafkaProducer | None = None
    _task: asyncio.Task[None] | None = None

    def register(self, account: Account) -> None:
        self.accounts[(account.org_id, account.username.lower())] = account

    def _by_id(self, user_id: str) -> Account | None:
        return next((a for a in self.accounts.values() if a.user_id == user_id), None)

    async def start(self) -> None:
        self._producer = AIOKafkaProducer(bootstrap_servers=self.bootstrap, acks="all",
                                          enable_idempotence=True, **kafka_options())
        await self._producer.start()
        consumer = AIOKafkaConsumer(bootstrap_servers=self.bootstrap, group_id=None,
                                    enable_auto_commit=False, fetch_max_wait_ms=50,
                                    **kafka_options())
        await consumer.start()
        tps = []
        for topic in (RPC_AUTH_VERIFY, RPC_AUTH_REVERIFY, RPC_ADMIN):
            for _ in range(100):
                parts = consumer.partitions_for_topic(topic)
                if parts:
                    break
                await consumer._client.force_metadata_update()
                await asyncio.sleep(0.1)
            assert parts, f"topic {topic} does not exist"
            tps += [TopicPartition(topic, p) for p in sorted(parts)]
        consumer.assign(tps)
        await consumer.seek_to_end(*tps)
        for tp in tps:
            await consumer.position(tp)
        self._consumer = consumer
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._consumer:
            await self._consumer.stop()
        if self._producer:
            await self._producer.stop()

    async def _run(self) -> None:
        assert self._consumer is not None
        while True:
            batches = await self._consumer.getmany(timeout_ms=200)
            for records in batches.values():
                for record in records:
                    headers = {k: v.decode(errors="replace") for k, v in record.headers or ()}
                    try:
                        body = json.loads(record.value or b"{}")
                    except ValueError:
                        continue  # another test's poison on the shared topic: not a request
                    if not isinstance(body, dict):
                        continue
                    reply = self._answer(record.topic, body)
                    if reply is not None and headers.get("reply_to"):
                        await self._send(headers, reply)

    def _answer(self, topic: str, body: dict[str, Any]) -> Any:
        if topic == RPC_AUTH_VERIFY:
            account = self.accounts.get((body.get("org_id", ""), body.get("username", "").lower()))
            if account is None and self.refuse_unknown:
                return CredentialsVerdict(ok=False, reason="invalid_credentials")
            if account is None:
                return None  # not ours: leave it to whoever else answers on this broker
            if body.get("password") != account.password:
                return CredentialsVerdict(ok=False, reason="invalid_credentials")
            return CredentialsVerdict(ok=True, user_id=account.user_id, org_id=account.org_id,
                                      username=account.username,
                                      permissions=account.permissions)  # type: ignore[arg-type]
        if topic == RPC_AUTH_REVERIFY:
            account = self._by_id(body.get("user_id", ""))
            return None if account is None else ReverifyVerdict(
                ok=body.get("password") == account.password)
        if topic == RPC_ADMIN:
            actor = body.get("actor_user_id", "")
            reply = self.admin_replies.get((actor, body.get("op", ""))) or \
                self.admin_replies.get(actor)
            if reply is not None:
                self.admin_requests.append(body)
            return reply
        return None

    async def _send(self, headers: dict[str, str], reply: Any) -> None:
        assert self._producer is not None
        cid = headers.get("correlation_id", "")
        await self._producer.send_and_wait(
            headers["reply_to"], reply.model_dump_json().encode(), key=cid.encode(),
            headers=[("correlation_id", cid.encode()), ("content-type", b"application/json")])
