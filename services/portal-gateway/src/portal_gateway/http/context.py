"""Everything a request handler may use, built once by the app factory."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import cast

from ssp_runtime.clock import utc_now
from starlette.requests import Request

from portal_gateway.admin_requests import AdminDesk
from portal_gateway.authentication import Authentication
from portal_gateway.command_requests import CommandDesk
from portal_gateway.http.client_address import Network, trusted_networks
from portal_gateway.import_requests import ImportDesk
from portal_gateway.live_updates import LiveUpdates
from portal_gateway.passcode_reveals import PasscodeDesk
from portal_gateway.reservation_requests import ReservationDesk
from portal_gateway.settings import Settings
from portal_gateway.store.gateway_stores import GatewayStores


@dataclass
class Gateway:
    settings: Settings
    stores: GatewayStores
    live: LiveUpdates
    auth: Authentication
    commands: CommandDesk
    admin: AdminDesk
    imports: ImportDesk
    reservations: ReservationDesk
    passcodes: PasscodeDesk
    clock: Callable[[], datetime] = field(default=utc_now)
    trusted_proxies: tuple[Network, ...] = field(init=False)

    def __post_init__(self) -> None:
        self.trusted_proxies = trusted_networks(self.settings.trusted_proxies)

    def now(self) -> datetime:
        return self.clock()


def gateway_of(request: Request) -> Gateway:
    return cast(Gateway, request.app.state.gateway)
