"""The command-dispatcher: authorized commands in, platform MDM out, status events back.

Consumes `ssp.commands.<family>` (authorized commands and their cancels; one consumer group per
platform family, so each family scales and deploys on its own; `--platform` picks the
families), produces
`ssp.commands.status` and `ssp.devices.reports`, serves health/metrics on its ops port and the
device-facing MDM endpoints on another (`/mdm/apple/checkin`, `/mdm/apple/connect`,
`/mdm/windows/omadm`). Android devices talk to Google, not to us: a periodic devices.list
sync reports them, and each command is issued and polled through the Android Management API.
"""

from __future__ import annotations

import logging
from datetime import timedelta

import httpx
from cryptography import x509
from ssp_contracts.commands import CommandAuthorized, CommandCancelRequested
from ssp_contracts.enums import Action, PlatformFamily
from ssp_contracts.topics import COMMAND_TOPIC_BY_FAMILY, COMMANDS_STATUS, DEVICES_REPORTS
from ssp_runtime.clock import utc_now
from ssp_runtime.http_metrics import HttpMetrics, HttpMetricSet
from ssp_runtime.registration import Built, Endpoints, Registration
from ssp_runtime.service import Service
from starlette.applications import Starlette

from command_dispatcher.adapters import PlatformAdapter
from command_dispatcher.android.auth import AuthProvider, ServiceAccountAuth, StaticToken
from command_dispatcher.android.backoff import Backoff
from command_dispatcher.android.client import AmapiClient
from command_dispatcher.android.metered_transport import AmapiMetrics, MeteredTransport
from command_dispatcher.android.quota import TokenBucket
from command_dispatcher.android_adapter import AndroidAdapter
from command_dispatcher.android_delivery import AndroidDelivery
from command_dispatcher.android_reports import AndroidReports
from command_dispatcher.android_sync import AndroidDeviceSync
from command_dispatcher.apple.identity import IdentitySettings, load_ca_bundle
from command_dispatcher.apple.push import ApnsClient, ApnsSettings
from command_dispatcher.apple_adapter import AppleAdapter
from command_dispatcher.apple_endpoints import AppleEndpoints
from command_dispatcher.authorizations import AuthorizationCheck
from command_dispatcher.contact_reports import ContactReports
from command_dispatcher.handlers import CommandIntake
from command_dispatcher.lifecycle import DEFAULT_TTL
from command_dispatcher.metrics import CommandMetrics, DeviceRefusals
from command_dispatcher.settings import SERVICE, Settings
from command_dispatcher.store import (
    AndroidDeviceStore,
    AppleDeviceStore,
    CommandStore,
    WindowsDeviceStore,
)
from command_dispatcher.windows.identity import WindowsTrust
from command_dispatcher.windows_adapter import WindowsAdapter
from command_dispatcher.windows_endpoints import WindowsEndpoints
from command_dispatcher.windows_session import WindowsSession

log = logging.getLogger(__name__)


class Dispatcher:
    """Everything one dispatcher process runs; `ops` and `devices` are its two ASGI apps."""

    def __init__(self, settings: Settings) -> None:
        service = Service(SERVICE, settings)
        service.produces(COMMANDS_STATUS, DEVICES_REPORTS)
        commands = CommandStore(service.db, service.outbox, SERVICE,
                                CommandMetrics(service.registry))
        sealing_key = settings.sealing_key()
        logging.getLogger("httpx").setLevel(logging.WARNING)  # a line per AMAPI poll otherwise

        apple_devices = AppleDeviceStore(service.db, service.outbox, SERVICE,
                                         settings.fernet_key())
        apns = ApnsClient(ApnsSettings(
            base_url=settings.apns_base_url, cert_file=settings.apns_cert_file,
            key_file=settings.apns_key_file)) if settings.apns_base_url else None
        apple = AppleAdapter(apple_devices, apns, service.registry)
        android_devices = AndroidDeviceStore(service.db, service.outbox, SERVICE)
        amapi_metrics = AmapiMetrics(service.registry)
        # Not owned by the AmapiClient (it closes only clients it made): closed here instead.
        amapi_http = httpx.AsyncClient(timeout=30.0, transport=MeteredTransport(amapi_metrics))
        android, android_sync = _android(settings, commands, android_devices, sealing_key,
                                         amapi_metrics, amapi_http)
        windows_devices = WindowsDeviceStore(service.db, service.outbox, SERVICE)
        windows = WindowsAdapter(windows_devices, wipe_node=settings.windows_wipe_node,
                                 provider_id=settings.provider_id())
        adapters: dict[PlatformFamily, PlatformAdapter] = {
            PlatformFamily.APPLE: apple, PlatformFamily.ANDROID: android,
            PlatformFamily.WINDOWS: windows}
        intake = CommandIntake(
            commands, adapters,
            AuthorizationCheck(settings.authorization_verifier(), service.registry),
            ttl=_ttl(settings), clock=utc_now)

        for family in settings.platforms:
            service.subscribe(
                COMMAND_TOPIC_BY_FAMILY[family], (CommandAuthorized, CommandCancelRequested),
                group_id=f"{SERVICE}.{family.value}",
                description=f"Authorized commands for {family.value} devices and their cancels",
            )(intake.on_command_topic)
        service.every(settings.expiry_sweep_s, intake.expire_overdue)
        if PlatformFamily.APPLE in settings.platforms:
            service.on_startup(lambda: apple.wake_pending(commands))
            service.every(settings.apple_repush_s, lambda: apple.wake_pending(commands))
        if PlatformFamily.ANDROID in settings.platforms and android_sync is not None:
            service.every(settings.android_sync_interval_s, android_sync.sync_devices)
            service.every(settings.android_resume_interval_s, android.resume)
            service.on_startup(android_sync.start)
            service.on_shutdown(android_sync.stop)
        for store in (commands, apple_devices, android_devices):
            service.on_startup(store.create_indexes)
        service.on_shutdown(amapi_http.aclose)
        service.on_shutdown(apple.close)
        service.on_shutdown(android.close)

        refusals = DeviceRefusals(service.registry)
        contacts = ContactReports(utc_now, settings.contact_report_s)
        apple_endpoints = AppleEndpoints(
            commands=commands, devices=apple_devices, intake=intake, adapter=apple,
            identity=_identity(settings), default_org=settings.default_org,
            max_body_bytes=settings.max_device_body_bytes, clock=utc_now, refusals=refusals,
            contacts=contacts, demo_mode=settings.demo_mode,
            erase_options=settings.apple_erase_options, ca_orgs=settings.identity_ca_orgs,
            mdm_profiles=settings.mdm_profile_identifiers())
        windows_endpoints = WindowsEndpoints(
            devices=windows_devices, cert_header=settings.windows_cert_header,
            trust=_windows_trust(settings), org_from_query=settings.demo_mode,
            default_org=settings.default_org, max_body_bytes=settings.max_device_body_bytes,
            clock=utc_now, refusals=refusals, contacts=contacts, session=WindowsSession(
                commands=commands, devices=windows_devices, intake=intake,
                wipe_node=settings.windows_wipe_node, provider_id=settings.provider_id(),
                clock=utc_now))
        self.service = service
        self.intake = intake
        self.ops = service.asgi()
        # Every family's device routes, whatever --platform says: they only touch the database.
        self.devices = Starlette(routes=[*apple_endpoints.routes(), *windows_endpoints.routes()])
        # Check-ins, connects and OMA-DM sessions by route and status: the device-side errors.
        self.devices.add_middleware(HttpMetrics, metrics=HttpMetricSet(service.registry))


def _android(settings: Settings, commands: CommandStore, devices: AndroidDeviceStore,
             sealing_key: bytes | None, metrics: AmapiMetrics, http: httpx.AsyncClient,
             ) -> tuple[AndroidAdapter, AndroidDeviceSync | None]:
    """One AmapiClient and quota per process, shared by delivery and sync; without AMAPI
    settings the adapter refuses every Android command with a clear reason."""
    reports = AndroidReports(devices, utc_now)
    if not settings.amapi_configured():
        return AndroidAdapter(commands=commands, reports=reports, amapi=None, delivery=None,
                              can_seal=False), None
    auth: AuthProvider = (
        StaticToken(settings.amapi_token.get_secret_value()) if settings.amapi_token
        else ServiceAccountAuth.from_file(str(settings.amapi_service_account_file)))
    quota = TokenBucket(settings.amapi_quota_requests, settings.amapi_quota_period_s)
    metrics.watch_quota(quota)
    amapi = AmapiClient(auth, base_url=settings.amapi_base_url, quota=quota, http=http)
    delivery = AndroidDelivery(
        commands=commands, reports=reports, amapi=amapi, sealing_key=sealing_key,
        backoff=Backoff(settings.android_poll_initial_s, settings.android_poll_max_s),
        wipe_via_delete=settings.android_wipe_via_delete, clock=utc_now,
        instance_id=settings.instance_id, lease=timedelta(seconds=settings.android_issue_lease_s))
    adapter = AndroidAdapter(commands=commands, reports=reports, amapi=amapi,
                             delivery=delivery, can_seal=sealing_key is not None)
    assert settings.amapi_enterprise is not None  # amapi_configured() says so
    sync = AndroidDeviceSync(amapi, devices, enterprise=settings.amapi_enterprise,
                             org_id=settings.android_org, clock=utc_now)
    return adapter, sync


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


def _windows_trust(settings: Settings) -> WindowsTrust:
    cas: list[x509.Certificate] = []
    if settings.windows_client_ca_file:
        with open(settings.windows_client_ca_file, "rb") as f:
            cas = x509.load_pem_x509_certificates(f.read())
    proxies = settings.windows_trusted_proxies
    if not settings.demo_mode and not (cas and proxies):
        log.error("Windows devices are refused: set SSP_WINDOWS_TRUSTED_PROXIES and "
                  "SSP_WINDOWS_CLIENT_CA_FILE (outside demo mode both are required)")
        return WindowsTrust()  # no proxy, so no certificate counts
    if not (cas and proxies):
        log.warning("DEMO MODE: Windows client certificates are believed from %s, issued by %s",
                    "the configured proxies" if proxies else "ANY peer",
                    "the configured CA" if cas else "ANYONE (pinned at the first session)")
    return WindowsTrust.configured(proxies, cas, demo=settings.demo_mode)


def _documented(settings: Settings) -> Built:
    dispatcher = Dispatcher(settings)
    return Built(dispatcher.service, [Endpoints("device (8100)", dispatcher.devices.routes)])


# How the document generators find this service (pyproject.toml: entry point `ssp.services`).
REGISTRATION = Registration(Settings, _documented)
