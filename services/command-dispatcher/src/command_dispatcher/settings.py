"""Settings of the command-dispatcher (environment variables with the `SSP_` prefix)."""

from __future__ import annotations

import base64
import hashlib

from pydantic import Field, SecretStr
from ssp_contracts.enums import PlatformFamily
from ssp_runtime.settings import ServiceSettings

SERVICE = "command-dispatcher"
DEFAULT_PORT = 8003


class Settings(ServiceSettings):
    platforms: list[PlatformFamily] = Field(
        default_factory=lambda: list(PlatformFamily),
        description="Platform families this process dispatches (one consumer group each)",
    )
    device_http_host: str = Field("127.0.0.1", description="Address of the device-facing HTTP")
    device_http_port: int = Field(8100, description="Port of the device-facing MDM endpoints")
    default_org: str = Field("demo", description="Org of devices enrolling without ?org=")
    secret_key: SecretStr | None = Field(
        None, description="Key (Fernet, urlsafe base64 of 32 bytes) encrypting UnlockTokens")
    apns_base_url: str | None = Field(
        None, description="APNs base URL (https://api.push.apple.com); unset: no pushes")
    apns_cert_file: str | None = Field(None, description="MDM push certificate (PEM)")
    apns_key_file: str | None = Field(None, description="Its private key (PEM)")
    identity_proxy_header: str | None = Field(
        None, description="Header in which a TLS proxy forwards the device certificate")
    identity_ca_file: str | None = Field(
        None, description="PEM bundle: only device certificates these CAs issued are accepted")
    max_device_body_bytes: int = Field(1024 * 1024, description="Largest device request body")
    expiry_sweep_s: float = Field(5.0, gt=0, description="How often overdue commands expire")
    ttl_minutes: dict[str, float] = Field(
        default_factory=dict, description='Per-action expiry, e.g. {"wipe": 1440, "lock": 15}')

    def fernet_key(self) -> bytes:
        """The UnlockToken key; demo mode derives a fixed one, production must set it."""
        if self.secret_key is None and self.demo_mode:
            return base64.urlsafe_b64encode(hashlib.sha256(b"ssp-demo-only").digest())
        self.require_secret("SSP_SECRET_KEY", self.secret_key)
        assert self.secret_key is not None
        return self.secret_key.get_secret_value().encode()
