"""The device-registry: devices and who each belongs to.

Consumes `ssp.devices.reports` (what devices report), `ssp.commands.status` (results to fold
into device state), `ssp.links.requests` (link changes) and `ssp.access` (to resolve users);
publishes every device's state as a versioned `DeviceSnapshot` on the compacted `ssp.devices`
and an `AuditRecord` for every link change. Serves only health and metrics over HTTP.
"""

from __future__ import annotations

from ssp_contracts.access import UserAccess
from ssp_contracts.commands import CommandStatusChanged
from ssp_contracts.devices import DeviceReported
from ssp_contracts.links import LinkRequested
from ssp_contracts.topics import (
    ACCESS,
    AUDIT,
    COMMANDS_STATUS,
    DEVICES,
    DEVICES_REPORTS,
    LINKS_REQUESTS,
)
from ssp_runtime.service import Service
from starlette.applications import Starlette

from device_registry.handlers import RegistryHandlers
from device_registry.settings import SERVICE, Settings
from device_registry.store import DeviceStore, UserDirectory


def build_service(settings: Settings) -> Service:
    service = Service(SERVICE, settings)
    service.produces(DEVICES, AUDIT)
    devices = DeviceStore(service.db, service.outbox, SERVICE)
    users = UserDirectory(service.db)
    handlers = RegistryHandlers(devices, users)

    service.subscribe(DEVICES_REPORTS, DeviceReported)(handlers.on_device_reported)
    service.subscribe(COMMANDS_STATUS, CommandStatusChanged)(handlers.on_command_status)
    service.subscribe(LINKS_REQUESTS, LinkRequested)(handlers.on_link_requested)
    service.subscribe(ACCESS, UserAccess)(handlers.on_user_access)
    service.on_startup(devices.create_indexes)
    service.on_startup(users.create_indexes)
    return service


def create_app(settings: Settings | None = None) -> Starlette:
    return build_service(settings or Settings()).asgi()
