"""Every instance announces itself on `ssp.heartbeats` and records the others it hears, so each
service's database knows which peers are alive (and the wiring is proven end to end)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from ssp_contracts.audit import ServiceHeartbeat
from ssp_contracts.topics import HEARTBEATS

from ssp_runtime.consuming import Delivery

if TYPE_CHECKING:
    from ssp_runtime.service import Service

log = logging.getLogger(__name__)
PEERS = "peers"


class Heartbeats:
    def __init__(self, service: Service, interval_s: float) -> None:
        self.service = service
        self.interval_s = interval_s
        self.started_at = datetime.now(UTC)
        self._task: asyncio.Task[None] | None = None
        service.subscribe(
            HEARTBEATS, ServiceHeartbeat, from_beginning=False,
            description="Records which service instances are alive")(self.on_heartbeat)

    async def on_heartbeat(self, beat: ServiceHeartbeat, _delivery: Delivery) -> None:
        await self.service.db[PEERS].update_one(
            {"_id": f"{beat.service}/{beat.instance_id}"},
            {"$set": {"service": beat.service, "instance_id": beat.instance_id,
                      "version": beat.version, "started_at": beat.started_at,
                      "last_seen": beat.sent_at}},
            upsert=True,
        )

    async def start(self) -> None:
        await self.beat()
        self._task = asyncio.create_task(self._loop())

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def beat(self) -> None:
        s = self.service
        await s.publisher.publish(HEARTBEATS, ServiceHeartbeat(
            org_id="system", service=s.name, instance_id=s.settings.instance_id,
            version=s.version, started_at=self.started_at, sent_at=datetime.now(UTC)))

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self.interval_s)
            try:
                await self.beat()
            except Exception as exc:
                log.warning("heartbeat not sent", extra={"error": repr(exc)})

    async def peers(self) -> list[dict[str, object]]:
        cursor = self.service.db[PEERS].find({}, {"_id": 0}).sort("service", 1)
        return [doc async for doc in cursor]
