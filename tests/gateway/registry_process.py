"""A real device-registry next to the session's gateway, for the tests of what the two do
together (CSV imports, reservations), and the waits that make those tests deterministic."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaProducer
from pymongo import AsyncMongoClient
from ssp_contracts import cloudevents
from ssp_contracts.links import ImportProgress
from ssp_contracts.topics import IMPORTS_STATUS
from ssp_devstack.processes import ServiceProcess, free_port
from ssp_runtime.kafka_auth import kafka_options

from tests.gateway.portal_world import World
from tests.gateway.rpc_responder import Account, RpcResponder
from tests.integration.registry_world import enrolled
from tests.support.waiting import eventually


@dataclass
class Registry:
    process: ServiceProcess
    database: str


@pytest.fixture(scope="module")
def registry(stack_env: dict[str, str], gateway: ServiceProcess,
             tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    """Module-scoped: its consumer groups are the registry's own, which per-test registries
    of tests/integration share, so two must never run at once."""
    database = f"t{uuid.uuid4().hex[:10]}_device_registry"
    proc = ServiceProcess(
        module="device_registry", port=free_port(),
        env={**stack_env, "SSP_MONGODB_DATABASE": database, "SSP_LOG_JSON": "true",
             "SSP_HEARTBEAT_INTERVAL_S": "5"},
        log_path=tmp_path_factory.mktemp("registry") / "device_registry.log")
    proc.start(wait=True, timeout=90)
    yield Registry(proc, database)
    proc.stop()


@pytest.fixture(scope="module")
async def imports_projected(gateway: ServiceProcess, bootstrap: str,
                            responder: RpcResponder) -> None:
    """Waits until the gateway reads every partition of ssp.imports.status: its new consumer
    group starts at the end, so progress sent before a partition is assigned would be lost."""
    admin = Account(f"u-imp-{uuid.uuid4().hex[:8]}", f"imp-{uuid.uuid4().hex[:8]}",
                    f"admin-{uuid.uuid4().hex[:6]}", uuid.uuid4().hex, ["admin"])
    responder.register(admin)
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all",
                                enable_idempotence=True, **kafka_options())
    await producer.start()
    try:
        waiting = set(await producer.partitions_for(IMPORTS_STATUS))
        async with httpx.AsyncClient(base_url=gateway.url, timeout=30) as http:
            login = await http.post("/api/v1/session", json={
                "username": admin.username, "password": admin.password, "org": admin.org_id})
            assert login.status_code == 200, login.text
            deadline, version = time.monotonic() + 90, 0
            while waiting:
                assert time.monotonic() < deadline, f"partitions {sorted(waiting)} not read"
                version += 1
                for p in waiting:
                    event = ImportProgress(org_id=admin.org_id, import_id=f"sentinel-{p}",
                                           version=version, status="running", dry_run=True,
                                           total=0, done=0)
                    headers = cloudevents.to_headers(event, source="tests")
                    await producer.send_and_wait(
                        IMPORTS_STATUS, cloudevents.to_value(event), partition=p,
                        key=event.subject().encode(),
                        headers=[(k, v.encode()) for k, v in headers.items()])
                await asyncio.sleep(0.5)
                waiting = {p for p in waiting if (await http.get(
                    f"/api/v1/admin/imports/sentinel-{p}")).status_code != 200}
    finally:
        await producer.stop()


@dataclass
class LinkWorld:
    """The portal world plus what the registry must know: users and enrolled devices."""

    world: World
    registry: Registry
    mongo: AsyncMongoClient

    @property
    def registry_db(self) -> Any:
        return self.mongo[self.registry.database]

    async def users(self, *names: str) -> dict[str, Account]:
        accounts = {}
        for name in names:
            account = await self.world.user()
            accounts[name] = account
        ids = [a.user_id for a in accounts.values()]

        async def known() -> bool:
            return await self.registry_db["users"].count_documents({"_id": {"$in": ids}}) \
                == len(ids)
        await eventually(known, timeout_s=30, what="users in the registry")
        return accounts

    async def devices(self, *serials: str, **identifiers: str) -> dict[str, str]:
        found = {}
        for serial in serials:
            device_id = f"dev-{uuid.uuid4().hex[:10]}"
            await self.world.producer.send_event("ssp.devices.reports", enrolled(
                self.world.org_id, device_id, serial_number=serial, **identifiers))
            found[serial] = device_id
        ids = list(found.values())

        async def known() -> bool:
            return await self.registry_db["devices"].count_documents({"_id": {"$in": ids}}) \
                == len(ids)
        await eventually(known, timeout_s=30, what="devices in the registry")
        return found

    async def owner_of(self, device_id: str) -> str | None:
        doc = await self.registry_db["devices"].find_one({"_id": device_id})
        return ((doc or {}).get("owner") or {}).get("user_id")


@pytest.fixture
async def links(world: World, registry: Registry, imports_projected: None,
                stack_env: dict[str, str]) -> AsyncIterator[LinkWorld]:
    client: AsyncMongoClient = AsyncMongoClient(stack_env["MONGODB_URL"], tz_aware=True)
    yield LinkWorld(world, registry, client)
    await client.close()
