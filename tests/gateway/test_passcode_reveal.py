"""A new passcode, sealed by the dispatcher to the gateway's key, shown once to its requester.

The status events are produced here as the dispatcher produces them (`sealed_secret` sealed to
the gateway's public key). This module starts its own gateway with a private key of its own;
the session's gateway (no key, not demo mode) shows what a gateway without a key says.
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime

import pytest
from bson import json_util
from nacl.public import PrivateKey
from ssp_contracts.commands import CommandResult, CommandStatusChanged
from ssp_contracts.enums import Action, CommandStatus
from ssp_contracts.topics import COMMANDS_STATUS
from ssp_devstack.processes import ServiceProcess, free_port
from ssp_runtime.sealing import seal_secret

from tests.gateway.catch_up import wait_until_caught_up
from tests.gateway.portal_world import Browser, World
from tests.gateway.session_gateway import gateway_env
from tests.support.waiting import eventually

GATEWAY_KEY = PrivateKey.generate()


@pytest.fixture(scope="module")
def keyed_gateway(stack_env, tmp_path_factory) -> Iterator[ServiceProcess]:
    run_id = uuid.uuid4().hex[:10]
    proc = ServiceProcess(
        module="portal_gateway", port=free_port(),
        env={**gateway_env(stack_env, run_id),
             "SSP_GATEWAY_PRIVATE_KEY": base64.b64encode(bytes(GATEWAY_KEY)).decode()},
        log_path=tmp_path_factory.mktemp("keyed-gateway") / "portal_gateway.log")
    proc.start(wait=True, timeout=90)
    yield proc
    proc.stop()


@pytest.fixture(scope="module")
async def keyed_ready(keyed_gateway, responder, bootstrap) -> ServiceProcess:
    await wait_until_caught_up(keyed_gateway.url, bootstrap, responder)
    return keyed_gateway


@pytest.fixture
async def keyed(keyed_ready, responder, producer) -> AsyncIterator[World]:
    world = World(producer, responder, keyed_ready.url)
    yield world
    await world.close()


def status(world: World, command_id: str, device_id: str, user_id: str, state: str,
           version: int, *, action: str = "reset_passcode",
           sealed: str | None = None) -> CommandStatusChanged:
    return CommandStatusChanged(
        org_id=world.org_id, command_id=command_id, device_id=device_id, action=Action(action),
        status=CommandStatus(state), version=version, requested_by=user_id,
        occurred_at=datetime.now(UTC),
        result=CommandResult(sealed_secret=sealed) if sealed else None)


async def status_is(b: Browser, command_id: str, state: str) -> dict:
    async def probe() -> dict | None:
        body = (await b.http.get(f"/api/v1/commands/{command_id}")).json()
        return body if body.get("status") == state else None
    return await eventually(probe, timeout_s=20, what=f"{command_id} {state}")


async def request_reset(b: Browser, device_id: str) -> str:
    assert (await b.post("/api/v1/session/reauth", {"password": b.account.password})).is_success
    confirm = await b.post(f"/api/v1/devices/{device_id}/commands/confirmations",
                           {"action": "reset_passcode"})
    resp = await b.command(device_id, "reset_passcode",
                           confirmation_token=confirm.json()["confirmation_token"])
    assert resp.status_code == 202, resp.text
    return str(resp.json()["command_id"])


async def gateway_dump(mongo, gateway: ServiceProcess) -> str:
    db = mongo[gateway.env["SSP_MONGODB_DATABASE"]]
    return "\n".join([json_util.dumps(doc) for name in await db.list_collection_names()
                      async for doc in db[name].find({})])


async def test_the_requester_sees_it_once_and_the_gateway_keeps_no_clear_copy(
        keyed, keyed_gateway, mongo):
    alice, bob = await keyed.user(), await keyed.user()
    phone = await keyed.device(alice, mode="android_fully_managed")
    a, b = await keyed.browser(alice), await keyed.browser(bob)
    await keyed.sees_device(a, phone.device_id)
    command_id = await request_reset(a, phone.device_id)
    secret_url = f"/api/v1/commands/{command_id}/secret"
    early = await a.post(secret_url)
    assert early.status_code == 409 and early.json()["code"] == "secret.not_ready"

    passcode = f"{uuid.uuid4().int % 10**8:08d}"
    sealed = seal_secret(passcode, bytes(GATEWAY_KEY.public_key))
    for state, version in (("sent", 4), ("acknowledged", 5)):
        await keyed.producer.send_event(COMMANDS_STATUS, status(
            keyed, command_id, phone.device_id, alice.user_id, state, version,
            sealed=sealed if state == "acknowledged" else None))
    shown = await status_is(a, command_id, "acknowledged")
    assert "sealed_secret" not in (shown["result"] or {})  # the history never carries it
    stored = await gateway_dump(mongo, keyed_gateway)
    assert sealed in stored and passcode not in stored  # kept as received, never opened
    page = await a.http.get(f"/devices/{phone.device_id}")
    assert page.text.count("Show new passcode") == 1

    assert (await b.post(secret_url)).status_code == 404  # another user of the same org
    assert (await a.http.post(secret_url)).status_code == 403  # no CSRF token
    revealed = await a.post(secret_url)
    assert revealed.status_code == 200 and revealed.json() == {"passcode": passcode}
    assert revealed.headers["cache-control"] == "no-store"
    again = await a.post(secret_url)
    assert again.status_code == 410 and again.json()["code"] == "secret.already_revealed"
    assert again.headers["content-type"] == "application/problem+json"

    for event in (  # a redelivery brings nothing back (the marker behind it: it was read)
            status(keyed, command_id, phone.device_id, alice.user_id, "acknowledged", 5,
                   sealed=sealed),
            status(keyed, f"{command_id}-marker", phone.device_id, alice.user_id, "queued", 3,
                   action="refresh")):
        await keyed.producer.send_event(COMMANDS_STATUS, event)
    await status_is(a, f"{command_id}-marker", "queued")
    assert (await a.post(secret_url)).status_code == 410
    after = await gateway_dump(mongo, keyed_gateway)
    assert sealed not in after and passcode not in after
    page = (await a.http.get(f"/devices/{phone.device_id}")).text
    assert "Show new passcode" not in page and passcode not in page
    # The page still says it was shown (a live update may reload it as the dialog closes).
    assert "The new passcode was shown and is no longer kept here." in page
    assert passcode not in keyed_gateway.log_path.read_text(errors="replace")


async def test_other_actions_unfinished_and_failed_commands_have_no_passcode(keyed):
    alice = await keyed.user()
    phone = await keyed.device(alice, mode="windows")
    a = await keyed.browser(alice)
    await keyed.sees_device(a, phone.device_id)
    sealed = seal_secret("246810", bytes(GATEWAY_KEY.public_key))
    cases = {"lock": ("lock", "acknowledged", 404, "secret.not_found"),
             "failed": ("reset_passcode", "failed", 409, "secret.not_available"),
             "sent": ("reset_passcode", "sent", 409, "secret.not_ready")}
    for name, (action, state, _, _) in cases.items():
        await keyed.producer.send_event(COMMANDS_STATUS, status(
            keyed, f"cmd-{name}-{phone.device_id}", phone.device_id, alice.user_id, state, 5,
            action=action, sealed=sealed if state == "acknowledged" else None))
    for name, (_, state, code, problem) in cases.items():
        await status_is(a, f"cmd-{name}-{phone.device_id}", state)
        resp = await a.post(f"/api/v1/commands/cmd-{name}-{phone.device_id}/secret")
        assert (resp.status_code, resp.json()["code"]) == (code, problem), name
    unknown = await a.post("/api/v1/commands/cmd-nothing/secret")
    assert unknown.status_code == 404 and unknown.json()["code"] == "command.not_found"


async def test_a_gateway_without_a_key_says_it_cannot_show_passcodes(world):
    alice = await world.user()
    phone = await world.device(alice, mode="android_fully_managed")
    a = await world.browser(alice)
    await world.sees_device(a, phone.device_id)
    command_id = f"cmd-{uuid.uuid4().hex[:10]}"
    sealed = seal_secret("135790", bytes(GATEWAY_KEY.public_key))
    await world.producer.send_event(COMMANDS_STATUS, status(
        world, command_id, phone.device_id, alice.user_id, "acknowledged", 5, sealed=sealed))
    await status_is(a, command_id, "acknowledged")
    resp = await a.post(f"/api/v1/commands/{command_id}/secret")
    assert resp.status_code == 503 and resp.json()["code"] == "secret.no_key"
    page = await a.http.get(f"/devices/{phone.device_id}")
    assert "this portal is not set up to show passcodes" in page.text
    assert "Show new passcode" not in page.text
