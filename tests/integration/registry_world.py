"""A small registry world for one test: an org of its own, users and enrolled devices made
the way production makes them (UserAccess and DeviceReported on Kafka), and waits for the
registry to have taken them in."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pymongo import AsyncMongoClient
from ssp_contracts import DeviceReported, DeviceReportKind, ManagementMode, Platform, UserAccess
from ssp_contracts.topics import ACCESS, DEVICES, DEVICES_REPORTS

from tests.support.kafka import Producer, Tail, json_of
from tests.support.waiting import eventually


def enrolled(org_id: str, device_id: str, **identifiers: str) -> DeviceReported:
    return DeviceReported(
        org_id=org_id, report_id=str(uuid.uuid4()), device_id=device_id,
        kind=DeviceReportKind.ENROLLED, platform=Platform.IOS,
        management_mode=ManagementMode.IOS_SUPERVISED, identifiers=identifiers,
        occurred_at=datetime.now(UTC))


@dataclass
class RegistryWorld:
    producer: Producer
    snapshots: Tail  # ssp.devices from before the world was made
    db: Any  # the registry's own database (to wait for what it has no event for)
    org_id: str = field(default_factory=lambda: f"org-{uuid.uuid4().hex[:8]}")

    async def user(self, username: str, email: str | None = None) -> str:
        user_id = f"u-{uuid.uuid4().hex[:10]}"
        await self.producer.send_event(ACCESS, UserAccess(
            org_id=self.org_id, user_id=user_id, version=1, username=username, email=email))
        return user_id

    async def users_known(self, *user_ids: str) -> None:
        async def all_there() -> bool:
            found = await self.db["users"].count_documents({"_id": {"$in": list(user_ids)}})
            return found == len(user_ids)
        await eventually(all_there, timeout_s=30, what="users in the registry")

    async def device(self, serial: str, **identifiers: str) -> str:
        device_id = f"dev-{uuid.uuid4().hex[:10]}"
        await self.producer.send_event(DEVICES_REPORTS, enrolled(
            self.org_id, device_id, serial_number=serial, **identifiers))
        return device_id

    async def snapshot(self, device_id: str, count: int = 1, **expect: Any) -> dict[str, Any]:
        """The latest snapshot of the device once `count` of them matched `expect`."""
        def matching(record: Any) -> bool:
            body = json_of(record) if record.key == device_id.encode() else None
            return body is not None and all(_at(body, k) == v for k, v in expect.items())
        found = await self.snapshots.wait_for(matching, timeout_s=30, count=count)
        return json_of(found[-1])


def _at(body: dict[str, Any], dotted: str) -> Any:
    value: Any = body
    for part in dotted.split("__"):
        value = value.get(part) if isinstance(value, dict) else None
    return value


async def registry_world(producer: Producer, bootstrap: str, mongo: AsyncMongoClient,
                         database: str) -> tuple[RegistryWorld, Tail]:
    tail = await Tail(bootstrap, DEVICES).__aenter__()
    return RegistryWorld(producer, tail, mongo[database]), tail
