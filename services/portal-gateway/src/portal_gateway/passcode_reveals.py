"""Showing a new passcode once: check, open, take.

The sealed value is opened before it is taken, so a wrong key (503) leaves it for a fixed
configuration; taking it is one atomic find-and-update, so two concurrent requests cannot
both get it. The passcode itself is never logged and never stored in the clear.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from ssp_runtime.sealing import (
    SealingError,
    demo_private_key,
    key_from_setting,
    open_sealed,
)

from portal_gateway.domain import passcode_secrets as rules
from portal_gateway.domain.access import Caller
from portal_gateway.domain.passcode_secrets import StoredPasscode
from portal_gateway.settings import Settings
from portal_gateway.store.gateway_stores import GatewayStores

log = logging.getLogger(__name__)
KEY_SETTING = "SSP_GATEWAY_PRIVATE_KEY"
SHOWN_NOTE_FOR = timedelta(minutes=10)  # how long the device page says a passcode was shown


def opening_key(settings: Settings) -> bytes | None:
    """The private key passcodes are opened with; None: they cannot be shown.

    Set: must be base64 of 32 bytes (start-up fails otherwise). Unset: the public demo key in
    demo mode, else none. The demo key is refused outside demo mode: anyone can derive it."""
    value = settings.gateway_private_key
    if value is None or not value.get_secret_value().strip():
        return demo_private_key() if settings.demo_mode else None
    key = key_from_setting(value.get_secret_value(), KEY_SETTING)
    if key == demo_private_key() and not settings.demo_mode:
        raise ValueError(f"{KEY_SETTING} is the public demo key; set a real one outside "
                         "demo mode")
    return key


class PasscodeDesk:
    def __init__(self, stores: GatewayStores, private_key: bytes | None,
                 keep_for: timedelta) -> None:
        self.stores = stores
        self._private_key = private_key
        self.keep_for = keep_for

    @property
    def can_open(self) -> bool:
        return self._private_key is not None

    async def reveal(self, caller: Caller, command_id: str, now: datetime) -> str:
        command = await self.stores.commands.get(caller.org_id, command_id)
        stored = await self.stores.passcodes.get(caller.org_id, command_id)
        device = None if command is None else await self.stores.devices.owned_device(
            caller, command.device_id)
        ready = rules.check_revealable(caller, command, stored,
                                       device_is_theirs=device is not None,
                                       keep_for=self.keep_for, now=now)
        passcode = self._open(ready)
        taken = await self.stores.passcodes.take(
            caller.org_id, command_id, caller.user_id, now=now,
            acknowledged_after=now - self.keep_for)
        if taken is None:  # a concurrent request took it between the check and now
            raise rules.already_revealed()
        log.info("passcode shown", extra={"command_id": command_id, "user_id": caller.user_id})
        return passcode

    async def waiting_on(self, caller: Caller, device_id: str,
                         now: datetime) -> list[StoredPasscode]:
        """For the device page: the caller's new passcodes on this device not shown yet."""
        return await self.stores.passcodes.waiting_on(
            caller.org_id, device_id, caller.user_id, acknowledged_after=now - self.keep_for)

    async def shown_lately(self, caller: Caller, device_id: str,
                           now: datetime) -> list[StoredPasscode]:
        """For the device page: the caller's passcodes on this device shown in the last few
        minutes, so the page keeps saying so after it reloads (a live update may reload it
        right as the dialog closes)."""
        return await self.stores.passcodes.shown_since(
            caller.org_id, device_id, caller.user_id, revealed_after=now - SHOWN_NOTE_FOR)

    async def sweep(self, now: datetime) -> int:
        return await self.stores.passcodes.forget_expired(now - self.keep_for)

    def _open(self, stored: StoredPasscode) -> str:
        if self._private_key is None:
            raise rules.no_opening_key()
        assert stored.sealed is not None  # check_revealable returns only sealed ones
        try:
            return open_sealed(stored.sealed, self._private_key)
        except SealingError:
            log.warning("passcode cannot be opened with this key",
                        extra={"command_id": stored.command_id})
            raise rules.cannot_open() from None
