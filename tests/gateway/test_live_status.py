"""Command status from ssp.commands.status: projection with history, and live SSE updates."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime

from ssp_contracts.commands import CommandStatusChanged
from ssp_contracts.enums import Action, CommandStatus
from ssp_contracts.topics import COMMANDS_STATUS

from tests.support.waiting import eventually


def status(world, command_id, device_id, user_id, status, version, action="lock"):
    return CommandStatusChanged(
        org_id=world.org_id, command_id=command_id, device_id=device_id, action=Action(action),
        status=CommandStatus(status), version=version, requested_by=user_id,
        occurred_at=datetime.now(UTC))


async def next_event(lines, kind: str, timeout_s: float = 20.0) -> dict:
    async def read() -> dict:
        current = None
        async for line in lines:
            if line.startswith("event: "):
                current = line[len("event: "):]
            elif line.startswith("data: ") and current == kind:
                return json.loads(line[len("data: "):])
        raise AssertionError("stream ended")
    return await asyncio.wait_for(read(), timeout_s)


async def test_status_changes_are_projected_with_history_and_streamed(world):
    alice = await world.user()
    phone = await world.device(alice)
    b = await world.browser(alice)
    await world.sees_device(b, phone.device_id)
    command_id = (await b.command(phone.device_id, "lock")).json()["command_id"]

    async with b.http.stream("GET", "/api/v1/events") as stream:
        assert stream.status_code == 200
        assert stream.headers["content-type"].startswith("text/event-stream")
        lines = stream.aiter_lines()
        assert (await asyncio.wait_for(lines.__anext__(), 10)).startswith(": connected")
        # Out of order on purpose: version 3 first, then an older 2 that must not win.
        send = world.producer.send_event
        await send(COMMANDS_STATUS, status(world, command_id, phone.device_id, alice.user_id,
                                           "sent", 3))
        event = await next_event(lines, "command")
        assert event == {**event, "command_id": command_id, "status": "sent"}
        await send(COMMANDS_STATUS, status(world, command_id, phone.device_id, alice.user_id,
                                           "authorized", 2))
        await world.device(alice, device_id=phone.device_id, version=2, lost_mode=True)
        changed = await next_event(lines, "device")
        assert changed["device_id"] == phone.device_id

    async def has_history():
        body = (await b.http.get(f"/api/v1/commands/{command_id}")).json()
        return body if len(body["history"]) == 3 else None

    body = await eventually(has_history, timeout_s=20, what="three history steps")
    assert body["status"] == "sent"
    assert [s["status"] for s in body["history"]] == ["requested", "authorized", "sent"]
    assert (await b.http.get(f"/api/v1/devices/{phone.device_id}")).json()["lost_mode"] is True


async def test_finished_command_frees_the_slot_for_the_same_action(world):
    alice = await world.user()
    phone = await world.device(alice)
    b = await world.browser(alice)
    await world.sees_device(b, phone.device_id)
    first = (await b.command(phone.device_id, "lock")).json()["command_id"]
    assert (await b.command(phone.device_id, "lock")).status_code == 409
    await world.producer.send_event(COMMANDS_STATUS, status(
        world, first, phone.device_id, alice.user_id, "acknowledged", 4))

    async def accepted_again():
        resp = await b.command(phone.device_id, "lock")
        return resp if resp.status_code == 202 else None

    resp = await eventually(accepted_again, timeout_s=20, what="lock accepted again")
    assert resp.json()["command_id"] != first


async def test_commands_requested_elsewhere_count_as_pending(world):
    alice = await world.user()
    phone = await world.device(alice)
    b = await world.browser(alice)
    await world.sees_device(b, phone.device_id)
    await world.producer.send_event(COMMANDS_STATUS, status(
        world, "cmd-from-elsewhere-" + phone.device_id, phone.device_id, "u-admin", "queued", 2,
        action="refresh"))

    async def listed():
        # Alice sees it: it is on her device, though she did not request it.
        resp = await b.http.get(f"/api/v1/devices/{phone.device_id}/commands")
        return [c for c in resp.json()["items"] if c["requested_by"] == "u-admin"]

    await eventually(listed, timeout_s=20, what="the other system's command projected")
    resp = await b.command(phone.device_id, "refresh")
    assert resp.status_code == 409
    assert resp.json()["command_id"] == "cmd-from-elsewhere-" + phone.device_id


async def test_a_new_owner_does_not_see_the_previous_owners_commands(world):
    alice = await world.user()
    bob = await world.user()
    phone = await world.device(alice)
    a = await world.browser(alice)
    await world.sees_device(a, phone.device_id)
    alices = (await a.command(phone.device_id, "lock")).json()["command_id"]
    await world.device(bob, device_id=phone.device_id, version=2)  # relinked to Bob
    b = await world.browser(bob)
    await world.sees_device(b, phone.device_id)
    assert (await b.http.get(f"/api/v1/devices/{phone.device_id}/commands")).json()[
        "items"] == []
    assert (await b.http.get(f"/api/v1/commands/{alices}")).status_code == 404
    bobs = (await b.command(phone.device_id, "refresh")).json()["command_id"]
    listed = (await b.http.get(f"/api/v1/devices/{phone.device_id}/commands")).json()["items"]
    assert [c["command_id"] for c in listed] == [bobs]
    assert (await a.http.get(f"/api/v1/commands/{alices}")).status_code == 200  # still hers
