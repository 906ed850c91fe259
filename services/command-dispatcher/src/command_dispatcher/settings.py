"""Settings of the command-dispatcher (environment variables with the `SSP_` prefix)."""

from __future__ import annotations

import base64
import hashlib

from pydantic import Field, SecretStr, field_validator
from ssp_contracts.enums import PlatformFamily
from ssp_runtime.sealing import demo_public_key, key_from_setting
from ssp_runtime.settings import ServiceSettings
from ssp_runtime.signing import AUTHORIZATIONS, Verifier, verifier_from_settings

from command_dispatcher.android.client import DEFAULT_BASE_URL
from command_dispatcher.android.quota import DEFAULT_PERIOD_S, DEFAULT_REQUESTS
from command_dispatcher.apple.commands import DEMO_MDM_PROFILE_IDENTIFIER, EraseOptions
from command_dispatcher.windows.commands import DEFAULT_WIPE, DEMO_PROVIDER_ID, WIPE_NODES
from command_dispatcher.windows.identity import DEFAULT_CERT_HEADER

SERVICE = "command-dispatcher"
DEFAULT_PORT = 8003


class Settings(ServiceSettings):
    platforms: list[PlatformFamily] = Field(
        default_factory=lambda: list(PlatformFamily),
        description="Platform families this process dispatches (one consumer group each)",
    )
    device_http_host: str = Field("127.0.0.1", description="Address of the device-facing HTTP")
    device_http_port: int = Field(8100, description="Port of the device-facing MDM endpoints")
    default_org: str = Field(
        "demo", description="Org of enrolling devices (an Apple device's ?org= counts only in "
        "demo mode)")
    secret_key: SecretStr | None = Field(
        None, description="Key (Fernet, urlsafe base64 of 32 bytes) encrypting UnlockTokens")
    apns_base_url: str | None = Field(
        None, description="APNs base URL (https://api.push.apple.com); unset: no pushes")
    apns_cert_file: str | None = Field(None, description="MDM push certificate (PEM)")
    apns_key_file: str | None = Field(None, description="Its private key (PEM)")
    identity_proxy_header: str | None = Field(
        None, description="Header in which a TLS proxy forwards the device certificate")
    identity_ca_file: str | None = Field(
        None, description="PEM bundle of the enrollment CAs: only Apple device certificates "
        "these CAs issued are accepted; outside demo mode no Apple device enrolls without it")
    identity_ca_orgs: dict[str, str] = Field(
        default_factory=dict, description="Org of the Apple devices each enrollment CA issues, "
        "by the CA certificate's SHA-256 fingerprint (hex); a CA not listed: SSP_DEFAULT_ORG")
    apple_erase_options: dict[str, EraseOptions] = Field(
        default_factory=dict, description='EraseDevice options per org for iPhones and iPads, '
        'e.g. {"acme": {"preserve_data_plan": true, "disallow_proximity_setup": true}}')
    apple_mdm_profile_identifier: str | None = Field(
        None, description="PayloadIdentifier of the enrollment (MDM) profile Apple devices "
        "install: retire sends RemoveProfile with it. Unset: retire fails on Apple devices; "
        f"demo mode, when unset: {DEMO_MDM_PROFILE_IDENTIFIER} (the simulator's)")
    apple_mdm_profile_identifiers: dict[str, str] = Field(
        default_factory=dict, description="The enrollment profile's PayloadIdentifier per org "
        'where an org has its own, e.g. {"acme": "com.acme.mdm"}')
    max_device_body_bytes: int = Field(1024 * 1024, description="Largest device request body")
    contact_report_s: float = Field(
        60.0, ge=0, description="A device's \"last contact\" is reported at most this often "
        "(per device, per instance); 0: at every contact")
    apple_repush_s: float = Field(
        60.0, gt=0, description="How often Apple devices with pending commands are pushed again")
    expiry_sweep_s: float = Field(5.0, gt=0, description="How often overdue commands expire")
    ttl_minutes: dict[str, float] = Field(
        default_factory=dict, description='Per-action expiry, e.g. {"wipe": 1440, "lock": 15}')
    gateway_public_key: str | None = Field(
        None, description="The gateway's X25519 public key (base64): one-time passcodes are "
        "sealed to it. Demo mode, when unset: the key pair of ssp_runtime.sealing.DEMO_SEED")
    authorization_trusted_keys: list[str] = Field(
        default_factory=list,
        description="The permission-service's Ed25519 public keys (base64, JSON list): only a "
        "CommandAuthorized one of them signed is stored and delivered; any other goes to the "
        "DLQ. Required outside demo mode; demo mode, when unset: the demo key of "
        "ssp_runtime.signing")
    # -- Android Management API
    amapi_base_url: str = Field(DEFAULT_BASE_URL, description="AMAPI base URL (ends in /v1)")
    amapi_service_account_file: str | None = Field(
        None, description="Service account JSON key file (production)")
    amapi_token: SecretStr | None = Field(
        None, description="Static bearer token instead of a service account (the simulator)")
    amapi_enterprise: str | None = Field(
        None, description="Enterprise whose devices are synced, e.g. enterprises/LC00000001")
    amapi_quota_requests: int = Field(
        DEFAULT_REQUESTS, ge=1, description="AMAPI requests allowed per quota period")
    amapi_quota_period_s: float = Field(DEFAULT_PERIOD_S, gt=0, description="Quota period")
    android_org: str = Field("demo", description="Org of Android devices found by the sync")
    android_sync_interval_s: float = Field(
        300.0, gt=0, description="How often devices.list is synced into device reports")
    android_resume_interval_s: float = Field(
        30.0, gt=0, description="How often pending commands that no task follows (after a "
        "restart or a database outage) are taken up again")
    android_issue_lease_s: float = Field(
        120.0, gt=0, description="How long a claim to issue a command holds without renewal; "
        "a queued command whose claimant died mid-issue fails once it runs out")
    android_poll_initial_s: float = Field(
        1.0, gt=0, description="First wait before polling an operation; grows to the max")
    android_poll_max_s: float = Field(30.0, gt=0, description="Longest wait between polls")
    android_wipe_via_delete: bool = Field(
        False, description="Wipe with devices.delete instead of the WIPE command")
    # -- Windows OMA-DM
    windows_cert_header: str = Field(
        DEFAULT_CERT_HEADER, description="Header in which the TLS proxy forwards the "
        "URL-encoded PEM client certificate of a Windows device (the proxy must strip a "
        "client-sent one)")
    windows_trusted_proxies: list[str] = Field(
        default_factory=list, description="Addresses or CIDR blocks of the TLS proxies that "
        "terminate Windows devices' mutual TLS (JSON list): the certificate header counts only "
        "from them. Required outside demo mode; demo mode, when empty: from any peer")
    windows_client_ca_file: str | None = Field(
        None, description="PEM bundle of the CAs that issue Windows device certificates (CN = "
        "DeviceID). Required outside demo mode; demo mode, when unset: any certificate, "
        "pinned at the device's first session")
    windows_provider_id: str | None = Field(
        None, description="The ProviderID Windows devices were enrolled with: retire executes "
        "DMClient/Provider/<ProviderID>/Unenroll. Unset: retire fails on Windows devices; "
        f"demo mode, when unset: {DEMO_PROVIDER_ID} (the simulator's)")
    windows_wipe_node: str = Field(
        DEFAULT_WIPE, description=f"RemoteWipe node used for wipe: one of {sorted(WIPE_NODES)}")

    @field_validator("windows_wipe_node")
    @classmethod
    def _known_wipe_node(cls, value: str) -> str:
        if value not in WIPE_NODES:
            raise ValueError(f"windows_wipe_node must be one of {sorted(WIPE_NODES)}")
        return value

    def sealing_key(self) -> bytes | None:
        """The key one-time passcodes are sealed to; None: reset_passcode is refused."""
        if self.gateway_public_key:
            return key_from_setting(self.gateway_public_key, "SSP_GATEWAY_PUBLIC_KEY")
        return demo_public_key() if self.demo_mode else None

    def mdm_profile_identifiers(self) -> tuple[str | None, dict[str, str]]:
        """The enrollment profile's PayloadIdentifier: the default, and per org."""
        default = self.apple_mdm_profile_identifier or (
            DEMO_MDM_PROFILE_IDENTIFIER if self.demo_mode else None)
        return default, dict(self.apple_mdm_profile_identifiers)

    def provider_id(self) -> str | None:
        """The Windows enrollment's ProviderID (None: retire is refused on Windows)."""
        return self.windows_provider_id or (DEMO_PROVIDER_ID if self.demo_mode else None)

    def authorization_verifier(self) -> Verifier:
        return verifier_from_settings(self.authorization_trusted_keys,
                                      "SSP_AUTHORIZATION_TRUSTED_KEYS", demo=self.demo_mode,
                                      purpose=AUTHORIZATIONS)

    def amapi_configured(self) -> bool:
        return bool(self.amapi_enterprise and (self.amapi_token or
                                               self.amapi_service_account_file))

    def fernet_key(self) -> bytes:
        """The UnlockToken key; demo mode derives a fixed one, production must set it."""
        if self.secret_key is None and self.demo_mode:
            return base64.urlsafe_b64encode(hashlib.sha256(b"ssp-demo-only").digest())
        self.require_secret("SSP_SECRET_KEY", self.secret_key)
        assert self.secret_key is not None
        return self.secret_key.get_secret_value().encode()
