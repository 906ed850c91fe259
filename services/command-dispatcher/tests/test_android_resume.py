"""The resume job takes up queued Android commands no task follows: the unclaimed are issued
(once, however many deliveries race), the abandoned mid-issue fail as unknown, never twice."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from command_dispatcher.android.backoff import Backoff
from command_dispatcher.android.sync_plan import AndroidDevice
from command_dispatcher.android_adapter import AndroidAdapter
from command_dispatcher.android_delivery import CLAIM, AndroidDelivery
from command_dispatcher.lifecycle import Command, accept
from command_dispatcher.store.commands import _from_doc, _to_doc
from ssp_contracts.commands import CommandAuthorized
from ssp_contracts.enums import Action, ManagementMode, Platform
from ssp_runtime.mongo import matches

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
NAME = "enterprises/LC01/devices/3f2a9c"


class Commands:
    """The CommandStore's guarded writes, in memory."""

    def __init__(self) -> None:
        self.docs: dict[str, dict[str, Any]] = {}

    async def get(self, command_id: str):
        doc = self.docs.get(command_id)
        return (_from_doc(doc), doc) if doc else None

    async def pending_of(self, platform: Platform, limit: int = 500):
        return [(_from_doc(d), d) for d in self.docs.values()
                if d["status"] in ("queued", "sent")]

    async def claim(self, cmd: Command, field: str, owner: str, until: datetime) -> bool:
        await asyncio.sleep(0)  # the database round trip, where two deliveries interleave
        doc = self.docs[cmd.command_id]
        if not matches(doc, {"version": cmd.version, "status": cmd.status.value,
                             "$or": [{field: {"$exists": False}}, {f"{field}.by": owner}]}):
            return False
        doc.setdefault("android", {})["issuing"] = {"by": owner, "until": until}
        return True

    async def save(self, before: Command, after: Command, extra: dict | None = None) -> bool:
        doc = self.docs[before.command_id]
        if doc["version"] != before.version:
            return False
        doc.update(_to_doc(after) | (extra or {}))
        return True


class Reports:
    async def device(self, device_id: str) -> AndroidDevice:
        return AndroidDevice(device_id, NAME, "acme", "fully_managed", enrolled=True)


class Google:
    def __init__(self) -> None:
        self.issued: list[dict[str, Any]] = []

    async def issue_command(self, device_name: str, body: dict[str, Any]) -> dict[str, Any]:
        self.issued.append(body)
        return {"name": f"{device_name}/operations/{len(self.issued)}", "done": True}

    async def cancel_operation(self, name: str) -> None:
        pass


def _world(instance: str = "dispatcher-b") -> tuple[Commands, Google, AndroidAdapter]:
    commands, google = Commands(), Google()
    delivery = AndroidDelivery(
        commands=commands, reports=Reports(), amapi=google, backoff=Backoff(),  # type: ignore[arg-type]
        sealing_key=None, wipe_via_delete=False, clock=lambda: NOW, instance_id=instance)
    adapter = AndroidAdapter(commands=commands, reports=Reports(), amapi=None,  # type: ignore[arg-type]
                             delivery=delivery, can_seal=False)
    return commands, google, adapter


def _queued_lock(commands: Commands, claim: dict[str, Any] | None = None) -> str:
    request = CommandAuthorized(
        org_id="acme", command_id="cmd-1", device_id="android-3f2a9c", action=Action.LOCK,
        requested_by="alice", platform=Platform.ANDROID,
        management_mode=ManagementMode.ANDROID_FULLY_MANAGED, requested_at=NOW,
        authorized_at=NOW)
    doc = _to_doc(accept(request, NOW)) | {"platform": "android", "params": {}}
    if claim is not None:
        doc["android"] = {"issuing": claim}
    commands.docs[request.command_id] = doc
    return request.command_id


async def _settled(adapter: AndroidAdapter) -> None:
    while adapter._tasks:
        await asyncio.gather(*adapter._tasks.values())


async def test_a_queued_command_whose_task_died_before_issuing_is_issued_by_the_resume_job():
    commands, google, adapter = _world()
    command_id = _queued_lock(commands)  # stored queued; the process that queued it died

    assert await adapter.resume() == 1
    await _settled(adapter)

    assert len(google.issued) == 1
    assert commands.docs[command_id]["status"] == "acknowledged"


async def test_the_queueing_delivery_and_the_resume_job_issue_it_once():
    commands, google, adapter = _world()
    command_id = _queued_lock(commands)
    queued, _ = await commands.get(command_id)  # type: ignore[misc]
    delivery = adapter.delivery
    assert delivery is not None

    await asyncio.gather(delivery.deliver(queued), delivery.deliver(queued))

    assert len(google.issued) == 1
    assert commands.docs[command_id]["status"] == "acknowledged"


async def test_a_command_abandoned_mid_issue_fails_as_unknown_and_is_not_issued_again():
    commands, google, adapter = _world()
    command_id = _queued_lock(commands, claim={"by": "dispatcher-a",
                                               "until": NOW - timedelta(seconds=1)})

    assert await adapter.resume() == 1
    await _settled(adapter)

    assert google.issued == []
    assert commands.docs[command_id]["status"] == "failed"
    assert commands.docs[command_id]["reason_code"] == "android.delivery_unknown"


async def test_a_live_claim_of_another_process_is_left_alone():
    commands, google, adapter = _world()
    command_id = _queued_lock(commands, claim={"by": "dispatcher-a",
                                               "until": NOW + timedelta(seconds=30)})

    assert await adapter.resume() == 0
    assert google.issued == []
    assert commands.docs[command_id]["status"] == "queued"
    assert commands.docs[command_id]["android"]["issuing"]["by"] == "dispatcher-a"
    assert CLAIM == "android.issuing"
