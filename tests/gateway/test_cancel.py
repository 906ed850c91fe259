"""Canceling at the gateway: only the requester (404 otherwise), 409 when it already knows it
is too late, else a CommandCancelRequested on `ssp.commands.requested`, keyed by device (the
permission-service forwards it to the family topic, which only it may write)."""

from __future__ import annotations

from ssp_contracts.topics import COMMANDS_REQUESTED, COMMANDS_STATUS

from tests.gateway.test_live_status import status
from tests.gateway.test_web_pages import hidden, page_login
from tests.support.kafka import Tail, headers_of, json_of
from tests.support.waiting import eventually


async def requested_lock(world, mode: str = "ios_supervised"):
    """A user, their device, their logged-in browser and a lock they requested on it."""
    alice = await world.user()
    phone = await world.device(alice, mode=mode)
    b = await world.browser(alice)
    await world.sees_device(b, phone.device_id)
    command_id = (await b.command(phone.device_id, "lock")).json()["command_id"]
    return alice, phone, b, command_id


async def test_the_requester_cancel_goes_to_the_permission_service_keyed_by_device(world,
                                                                                 bootstrap):
    alice, phone, b, command_id = await requested_lock(world)
    async with Tail(bootstrap, COMMANDS_REQUESTED) as tail:
        resp = await b.post(f"/api/v1/commands/{command_id}/cancel")
        assert resp.status_code == 202, resp.text
        assert resp.json() == {"command_id": command_id, "status": "requested",
                               "cancel": "requested"}
        [record] = await tail.wait_for(lambda r: json_of(r).get("command_id") == command_id
                                       and headers_of(r)["ce_type"].startswith("ssp.command.c"))
    assert record.key == phone.device_id.encode()
    assert headers_of(record)["ce_type"] == "ssp.command.cancel_requested.v1"
    event = json_of(record)
    assert (event["device_id"], event["action"], event["requested_by"], event["org_id"]) == (
        phone.device_id, "lock", alice.user_id, world.org_id)


async def test_only_the_requester_may_cancel_others_get_404_and_nothing_is_sent(world,
                                                                               bootstrap):
    alice, _, b, command_id = await requested_lock(world)
    mallory = await world.browser(await world.user())
    async with Tail(bootstrap, COMMANDS_REQUESTED) as tail:
        resp = await mallory.post(f"/api/v1/commands/{command_id}/cancel")
        assert resp.status_code == 404 and resp.json()["code"] == "command.not_found"
        assert (await mallory.post("/api/v1/commands/cmd-nope/cancel")).status_code == 404
        # A marker from alice: once it is on the topic, mallory's would have been too.
        assert (await b.post(f"/api/v1/commands/{command_id}/cancel")).status_code == 202
        await tail.wait_for(lambda r: json_of(r).get("command_id") == command_id)
    assert [json_of(r)["requested_by"] for r in tail.seen
            if json_of(r).get("command_id") == command_id] == [alice.user_id]


async def test_a_command_known_to_be_sent_or_ended_is_409(world):
    alice, phone, b, lock = await requested_lock(world)
    await world.producer.send_event(COMMANDS_STATUS, status(
        world, lock, phone.device_id, alice.user_id, "sent", 4))

    async def projected_sent():
        body = (await b.http.get(f"/api/v1/commands/{lock}")).json()
        return body["status"] == "sent"
    await eventually(projected_sent, timeout_s=20, what="sent projected")
    resp = await b.post(f"/api/v1/commands/{lock}/cancel")
    assert resp.status_code == 409
    assert resp.headers["content-type"].startswith("application/problem+json")
    problem = resp.json()
    assert problem["code"] == "command.not_cancelable" and problem["command_status"] == "sent"


async def test_android_commands_cannot_be_canceled(world):
    _, _, b, command_id = await requested_lock(world, mode="android_fully_managed")
    resp = await b.post(f"/api/v1/commands/{command_id}/cancel")
    assert resp.status_code == 409 and resp.json()["code"] == "command.cancel_unsupported"


async def test_the_device_page_offers_cancel_for_the_callers_pending_apple_commands(
        world, bootstrap):
    alice, phone, b, lock = await requested_lock(world)
    other_phone = await world.device(alice, mode="ios_supervised")
    await world.sees_device(b, other_phone.device_id)
    elsewhere = (await b.command(other_phone.device_id, "lock")).json()["command_id"]
    http = await page_login(world, alice)
    page = await http.get(f"/devices/{phone.device_id}")
    url = f"/devices/{phone.device_id}/commands/{lock}/cancel"
    assert f'action="{url}"' in page.text
    async with Tail(bootstrap, COMMANDS_REQUESTED) as tail:
        assert (await http.post(url)).status_code == 403  # no CSRF token
        token = {"csrf_token": hidden(page.text, "csrf_token")}
        # A command of another of her devices, under this device's address: not found.
        wrong = await http.post(f"/devices/{phone.device_id}/commands/{elsewhere}/cancel",
                                data=token)
        assert wrong.status_code == 404
        resp = await http.post(url, data=token)
        assert resp.status_code == 303
        assert resp.headers["location"].endswith("?notice=cancel_requested")
        await tail.wait_for(lambda r: json_of(r).get("command_id") == lock)
    assert [json_of(r)["command_id"] for r in tail.seen
            if headers_of(r)["ce_type"] == "ssp.command.cancel_requested.v1"] == [lock]
    assert "The cancel was sent." in (await http.get(resp.headers["location"])).text


async def test_no_cancel_button_where_a_cancel_would_be_refused(world):
    alice, android, _, command_id = await requested_lock(world, mode="android_fully_managed")
    http = await page_login(world, alice)
    page = await http.get(f"/devices/{android.device_id}")
    assert f"command-{command_id}" in page.text and "/cancel" not in page.text
