"""The command-dispatcher: authorized commands in, platform MDM out, status events back.

Consumes `ssp.commands.<family>` (one consumer group per platform family, so each family
scales and deploys on its own), produces `ssp.commands.status` and `ssp.devices.reports`,
serves health/metrics on its ops port and the device-facing MDM endpoints on another.
"""

from __future__ import annotations

from datetime import timedelta

from cryptography import x509
from ssp_contracts.commands import CommandAuthorized
from ssp_contracts.enums import Action, PlatformFamily
from ssp_contracts.topics import COMMAND_TOPIC_BY_FAMILY, COMMANDS_STATUS, DEVICES_REPORTS
from ssp_runtime.service import Service
from starlette.applications import Starlette

from command_dispatcher.adapters import PlatformAdapter
from command_dispatcher.apple.identity import IdentitySettings, load_ca_bundle
from command_dispatcher.apple.push import ApnsClient, ApnsSettings
from command_dispatcher.apple_adapter import AppleAdapter
from command_dispatcher.apple_endpoints import AppleEndpoints
from command_dispatcher.handlers import CommandIntake, utc_now
from command_dispatcher.lifecycle import DEFAULT_TTL
from command_dispatcher.settings import SERVICE, Settings
from command_dispatcher.store import AppleDeviceStore, CommandStore


class Dispatcher:
    """Everything one dispatcher process runs; `ops` and `devices` are its two ASGI apps."""

    def __init__(self, settings: Settings) -> None:
        service = Service(SERVICE, settings)
        service.produces(COMMANDS_STATUS, DEVICES_REPORTS)
        commands = CommandStore(service.db, service.outbox, SERVICE)
        apple_devices = AppleDeviceStore(service.db, service.outbox, SERVICE,
                                         settings.fernet_key())
        apns = ApnsClient(ApnsSettings(
            base_url=settings.apns_base_url, cert_file=settings.apns_cert_file,
            key_file=settings.apns_key_file)) if settings.apns_base_url else None
        apple = AppleAdapter(apple_devices, apns, service.registry)
        adapters: dict[PlatformFamily, PlatformAdapter] = {PlatformFamily.APPLE: apple}
        intake = CommandIntake(commands, adapters, ttl=_ttl(settings), clock=utc_now)

        for family in settings.platforms:
            if family in adapters:
                service.subscribe(
                    COMMAND_TOPIC_BY_FAMILY[family], CommandAuthorized,
                    group_id=f"{SERVICE}.{family.value}",
                    description=f"Authorized commands for {family.value} devices",
                )(intake.on_command_authorized)
        service.every(settings.expiry_sweep_s, intake.expire_overdue)
        service.on_startup(commands.create_indexes)
        service.on_startup(apple_devices.create_indexes)
        service.on_shutdown(apple.close)

        endpoints = AppleEndpoints(
            commands=commands, devices=apple_devices, intake=intake, adapter=apple,
            identity=_identity(settings), default_org=settings.default_org,
            max_body_bytes=settings.max_device_body_bytes, clock=utc_now)
        self.service = service
        self.intake = intake
        self.ops = service.asgi()
        self.devices = Starlette(routes=endpoints.routes())


def _ttl(settings: Settings) -> dict[Action, timedelta]:
    ttl = dict(DEFAULT_TTL)
    for action, minutes in settings.ttl_minutes.items():
        ttl[Action(action)] = timedelta(minutes=minutes)
    return ttl


def _identity(settings: Settings) -> IdentitySettings:
    cas: list[x509.Certificate] = []
    if settings.identity_ca_file:
        with open(settings.identity_ca_file, "rb") as f:
            cas = load_ca_bundle(f.read())
    return IdentitySettings(proxy_certificate_header=settings.identity_proxy_header,
                            ca_certificates=tuple(cas))


def create_app(settings: Settings | None = None) -> Starlette:
    return Dispatcher(settings or Settings()).ops
