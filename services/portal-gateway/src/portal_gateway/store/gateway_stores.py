"""Every store of the gateway, built from its database, and the periodic expiry sweep."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from ssp_runtime.mongo import Database

from portal_gateway.domain.sessions import SessionPolicy, sweep_cutoffs
from portal_gateway.store.access import AccessProjection
from portal_gateway.store.command_claims import CommandClaims
from portal_gateway.store.commands import CommandProjection
from portal_gateway.store.confirmations import ConfirmationStore
from portal_gateway.store.device_activity import DeviceActivity
from portal_gateway.store.device_labels import DeviceLabels
from portal_gateway.store.devices import DeviceProjection
from portal_gateway.store.helpdesk import HelpdeskStore
from portal_gateway.store.passcode_secrets import PasscodeSecrets
from portal_gateway.store.rate_windows import RateWindows
from portal_gateway.store.sessions import SessionStore
from portal_gateway.store.wipe_breaker import WipeBreakerStore


@dataclass(frozen=True)
class GatewayStores:
    devices: DeviceProjection
    access: AccessProjection
    commands: CommandProjection
    claims: CommandClaims
    sessions: SessionStore
    confirmations: ConfirmationStore
    rate_windows: RateWindows
    passcodes: PasscodeSecrets
    wipe_breaker: WipeBreakerStore
    helpdesk: HelpdeskStore
    labels: DeviceLabels
    activity: DeviceActivity

    @classmethod
    def of(cls, db: Database) -> GatewayStores:
        return cls(DeviceProjection(db), AccessProjection(db), CommandProjection(db),
                   CommandClaims(db), SessionStore(db), ConfirmationStore(db), RateWindows(db),
                   PasscodeSecrets(db), WipeBreakerStore(db), HelpdeskStore(db),
                   DeviceLabels(db), DeviceActivity(db))

    async def create_indexes(self) -> None:
        for store in (self.devices, self.access, self.commands, self.sessions, self.passcodes,
                      self.activity):
            await store.create_indexes()

    async def sweep_expired(self, policy: SessionPolicy, now: datetime | None = None) -> int:
        """Expiry is a field plus this sweep: FerretDB has no TTL indexes."""
        now = now or datetime.now(UTC)
        return (await self.sessions.sweep(sweep_cutoffs(policy, now))
                + await self.confirmations.sweep(now)
                + await self.rate_windows.sweep(now)
                + await self.claims.sweep(now)
                + await self.wipe_breaker.sweep(now))
