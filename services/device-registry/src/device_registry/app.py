"""The device-registry: devices and who each belongs to.

Consumes `ssp.devices.reports` (what devices report; an enrolling device that was reserved
is linked to its user), `ssp.commands.status` (results to fold into device state),
`ssp.links.requests` (link changes and CSV import chunks) and `ssp.access` (to resolve users);
answers reservation requests on `ssp.rpc.registry`; publishes every device's state as a
versioned `DeviceSnapshot` on the compacted `ssp.devices`, an `AuditRecord` for every link
change and `ImportProgress` per import chunk on `ssp.imports.status`. Serves only health and
metrics over HTTP.
"""

from __future__ import annotations

from ssp_contracts.access import UserAccess
from ssp_contracts.commands import CommandStatusChanged
from ssp_contracts.devices import DeviceReported
from ssp_contracts.links import ImportRowsSubmitted, LinkRequested
from ssp_contracts.reservations import ReservationRequest
from ssp_contracts.topics import (
    ACCESS,
    AUDIT,
    COMMANDS_STATUS,
    DEVICES,
    DEVICES_REPORTS,
    IMPORTS_STATUS,
    LINKS_REQUESTS,
    RPC_REGISTRY,
)
from ssp_runtime.clock import utc_now
from ssp_runtime.consuming import Delivery
from ssp_runtime.registration import Built, Registration
from ssp_runtime.service import Service
from starlette.applications import Starlette

from device_registry.device_census import DeviceCensus
from device_registry.handlers import RegistryHandlers
from device_registry.import_handler import ImportHandler, ImportRowMetrics
from device_registry.reservation_desk import ReservationDesk
from device_registry.reserved_links import ReservedLinks
from device_registry.settings import SERVICE, Settings
from device_registry.store import DeviceStore, ImportStore, UserDirectory
from device_registry.store.reservations import ReservationStore


def build_service(settings: Settings) -> Service:
    service = Service(SERVICE, settings)
    service.produces(DEVICES, AUDIT, IMPORTS_STATUS)
    devices = DeviceStore(service.db, service.outbox, SERVICE)
    users = UserDirectory(service.db)
    reservations = ReservationStore(service.db)
    handlers = RegistryHandlers(devices, users,
                                reservations=ReservedLinks(reservations, users, utc_now))
    importer = ImportHandler(devices, users, ImportStore(service.db, service.outbox, SERVICE),
                             metrics=ImportRowMetrics(service.registry))

    async def on_link_request(event: LinkRequested | ImportRowsSubmitted,
                              delivery: Delivery) -> None:
        """Manual and reservation links (LinkRequested) and CSV import chunks."""
        if isinstance(event, ImportRowsSubmitted):
            await importer.on_rows_submitted(event, delivery)
        else:
            await handlers.on_link_requested(event, delivery)

    async def backfill_key_indexes() -> None:
        # Devices and users stored before the key indexes existed must be found by imports.
        await devices.keys.backfill(await devices.all_keys())
        await users.keys.backfill(await users.all_keys())

    service.subscribe(DEVICES_REPORTS, DeviceReported)(handlers.on_device_reported)
    service.subscribe(COMMANDS_STATUS, CommandStatusChanged)(handlers.on_command_status)
    service.subscribe(LINKS_REQUESTS, (LinkRequested, ImportRowsSubmitted))(on_link_request)
    service.subscribe(ACCESS, UserAccess)(handlers.on_user_access)
    service.respond(RPC_REGISTRY, ReservationRequest,
                    "Enrollment reservations: list, create, delete")(
        ReservationDesk(reservations, users).answer)
    service.on_startup(devices.create_indexes)
    service.on_startup(users.create_indexes)
    service.on_startup(reservations.create_indexes)
    service.on_startup(backfill_key_indexes)
    service.every(settings.device_census_s, DeviceCensus(service.db, service.registry).count)
    return service


def create_app(settings: Settings | None = None) -> Starlette:
    return build_service(settings or Settings()).asgi()


# How the document generators find this service (pyproject.toml: entry point `ssp.services`).
REGISTRATION = Registration(Settings, lambda settings: Built(build_service(settings)))
