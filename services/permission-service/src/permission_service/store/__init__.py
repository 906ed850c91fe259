"""The only code of the permission-service that talks to MongoDB, one store per aggregate.

Works on MongoDB and FerretDB v1 alike: single-document atomicity only (state and its events in
one document update), unique indexes for every "exactly one", no transactions, change streams,
TTL indexes, `$lookup` or conditional `$pull`.
"""

from __future__ import annotations

from dataclasses import dataclass

from ssp_runtime.mongo import Database
from ssp_runtime.outbox import OutboxRelay
from ssp_runtime.signing import Signer

from permission_service.domain.migrations import ROLES_COLLECTION
from permission_service.store.accounts import ACCOUNTS, AccountStore, AlreadyStored
from permission_service.store.decisions import DECISIONS, DecisionStore
from permission_service.store.device_views import DeviceViewStore
from permission_service.store.login_throttles import LoginThrottleStore
from permission_service.store.migrations import MigrationStore
from permission_service.store.roles import ROLES, RoleAlreadyStored, RoleStore, role_document

__all__ = ["AccountStore", "AlreadyStored", "DecisionStore", "DeviceViewStore",
           "LoginThrottleStore", "MigrationStore", "RoleAlreadyStored", "RoleStore", "Stores"]


@dataclass(frozen=True)
class Stores:
    accounts: AccountStore
    roles: RoleStore
    decisions: DecisionStore
    devices: DeviceViewStore
    migrations: MigrationStore
    login_throttles: LoginThrottleStore

    @classmethod
    def open(cls, db: Database, outbox: OutboxRelay, source: str, signer: Signer) -> Stores:
        """The stores, with every collection that holds pending events watched by the relay;
        `signer` signs every `CommandAuthorized`."""
        for collection in (ACCOUNTS, ROLES, DECISIONS):
            outbox.watch(collection)
        return cls(
            accounts=AccountStore(db, outbox, source), roles=RoleStore(db, outbox, source),
            decisions=DecisionStore(db, outbox, source, signer), devices=DeviceViewStore(db),
            migrations=MigrationStore(db, {ROLES_COLLECTION: role_document}),
            login_throttles=LoginThrottleStore(db),
        )

    async def create_indexes(self) -> None:
        await self.accounts.create_indexes()
        await self.roles.create_indexes()
        await self.login_throttles.create_indexes()
