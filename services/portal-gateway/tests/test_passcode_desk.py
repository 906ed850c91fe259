"""The passcode desk: open, take once, never a clear passcode kept; and the opening key."""

from __future__ import annotations

import asyncio
import base64
from dataclasses import replace
from datetime import timedelta

import pytest
from nacl.public import PrivateKey
from portal_gateway.domain.access import Caller
from portal_gateway.domain.command_view import CommandPublic
from portal_gateway.domain.errors import Gone, NotFound, Unavailable
from portal_gateway.domain.passcode_secrets import StoredPasscode
from portal_gateway.passcode_reveals import PasscodeDesk, opening_key
from portal_gateway.settings import Settings
from pydantic import SecretStr
from ssp_contracts.enums import Action, CommandStatus, Permission
from ssp_runtime.sealing import (
    KeySettingError,
    demo_private_key,
    public_key_of,
    seal_secret,
)

KEY = bytes(PrivateKey.generate())
ALICE = Caller(user_id="u-alice", org_id="acme", username="alice",
               permissions=frozenset(Permission))
BOB = replace(ALICE, user_id="u-bob", username="bob")


class Commands:
    def __init__(self, command: CommandPublic) -> None:
        self.command = command

    async def get(self, org_id: str, command_id: str) -> CommandPublic | None:
        return self.command if command_id == self.command.command_id else None


class Devices:
    def __init__(self, owner: str) -> None:
        self.owner = owner

    async def owned_device(self, caller: Caller, device_id: str) -> object | None:
        return object() if caller.user_id == self.owner else None


class Passcodes:
    """What store/passcode_secrets.py does, in memory (take: check-and-clear in one step)."""

    def __init__(self, kept: StoredPasscode) -> None:
        self.kept = kept

    async def get(self, org_id: str, command_id: str) -> StoredPasscode | None:
        await asyncio.sleep(0)  # lets a concurrent request pass its checks too
        return self.kept if command_id == self.kept.command_id else None

    async def take(self, org_id, command_id, user_id, *, now, acknowledged_after):
        kept = self.kept
        if kept.revealed_at is not None or kept.sealed is None or user_id != kept.requested_by:
            return None
        self.kept = replace(kept, sealed=None, revealed_at=now)
        return kept.sealed


class Stores:
    def __init__(self, now, sealed: str) -> None:
        self.commands = Commands(CommandPublic(
            command_id="cmd-1", device_id="dev-1", action=Action.RESET_PASSCODE,
            status=CommandStatus.ACKNOWLEDGED, requested_by="u-alice", requested_at=now))
        self.devices = Devices("u-alice")
        self.passcodes = Passcodes(StoredPasscode(
            command_id="cmd-1", org_id="acme", device_id="dev-1", requested_by="u-alice",
            acknowledged_at=now, sealed=sealed))


def desk(now, key: bytes | None = KEY, sealed_for: bytes = KEY) -> tuple[PasscodeDesk, Stores]:
    stores = Stores(now, seal_secret("482913", public_key_of(sealed_for)))
    return PasscodeDesk(stores, key, timedelta(days=7)), stores  # type: ignore[arg-type]


async def test_shown_once_to_the_requester_and_only_ciphertext_was_ever_kept(now):
    d, stores = desk(now)
    assert "482913" not in str(stores.passcodes.kept)
    assert await d.reveal(ALICE, "cmd-1", now) == "482913"
    assert stores.passcodes.kept.sealed is None and stores.passcodes.kept.revealed_at == now
    with pytest.raises(Gone) as err:
        await d.reveal(ALICE, "cmd-1", now)
    assert err.value.code == "secret.already_revealed"


async def test_two_concurrent_requests_get_it_once(now):
    d, _ = desk(now)
    first, second = await asyncio.gather(d.reveal(ALICE, "cmd-1", now),
                                         d.reveal(ALICE, "cmd-1", now), return_exceptions=True)
    assert first == "482913"
    assert isinstance(second, Gone) and second.code == "secret.already_revealed"


async def test_another_user_gets_not_found(now):
    d, stores = desk(now)
    with pytest.raises(NotFound):
        await d.reveal(BOB, "cmd-1", now)
    stores.devices.owner = "u-bob"  # relinked: the requester no longer owns the device
    with pytest.raises(NotFound):
        await d.reveal(ALICE, "cmd-1", now)
    assert stores.passcodes.kept.sealed is not None


@pytest.mark.parametrize(("key", "code"), [
    (None, "secret.no_key"), (bytes(PrivateKey.generate()), "secret.cannot_open")])
async def test_without_a_key_or_with_the_wrong_one_it_stays_kept(now, key, code):
    d, stores = desk(now, key=key)
    assert d.can_open is (key is not None)
    with pytest.raises(Unavailable) as err:
        await d.reveal(ALICE, "cmd-1", now)
    assert err.value.code == code and err.value.status == 503
    assert stores.passcodes.kept.sealed is not None  # a fixed configuration still shows it


def test_the_opening_key_comes_from_the_setting_or_demo_mode():
    assert opening_key(Settings(demo_mode=False)) is None
    assert opening_key(Settings(demo_mode=True)) == demo_private_key()
    encoded = SecretStr(base64.b64encode(KEY).decode())
    assert opening_key(Settings(demo_mode=False, gateway_private_key=encoded)) == KEY
    with pytest.raises(KeySettingError, match="SSP_GATEWAY_PRIVATE_KEY must hold 32 bytes"):
        opening_key(Settings(gateway_private_key=SecretStr("c2hvcnQ=")))
    demo = SecretStr(base64.b64encode(demo_private_key()).decode())
    with pytest.raises(ValueError, match="public demo key"):
        opening_key(Settings(demo_mode=False, gateway_private_key=demo))
    assert opening_key(Settings(demo_mode=True, gateway_private_key=demo)) == demo_private_key()
