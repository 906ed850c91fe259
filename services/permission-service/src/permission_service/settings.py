"""Settings of the permission-service (environment variables with the `SSP_` prefix)."""

from __future__ import annotations

from datetime import timedelta

from pydantic import Field, SecretStr, model_validator
from ssp_runtime.settings import ServiceSettings
from ssp_runtime.signing import (
    AUTHORIZATIONS,
    PORTAL_REQUESTS,
    Signer,
    Verifier,
    signer_from_settings,
    verifier_from_settings,
)

from permission_service.domain.command_limits import LimitPolicy

SERVICE = "permission-service"
DEFAULT_PORT = 8001


class Settings(ServiceSettings):
    default_org: str = Field(
        "demo", pattern=r"^[A-Za-z0-9_.-]{1,64}$",
        description="Organisation of the bootstrap admin when SSP_BOOTSTRAP_ADMIN_ORG is unset",
    )
    bootstrap_admin_org: str | None = Field(
        None, pattern=r"^[A-Za-z0-9_.-]{1,64}$",
        description="Organisation of the bootstrap admin (default: SSP_DEFAULT_ORG)",
    )
    bootstrap_admin_username: str | None = Field(
        None, description="Creates this admin at start-up if no account of that name exists "
                          "(an existing account is never changed)",
    )
    bootstrap_admin_password: SecretStr | None = Field(
        None, description="Password of the bootstrap admin (>= 12 characters, not a "
                          "placeholder outside demo mode); used only when it is created",
    )
    demo_password: SecretStr | None = Field(
        None, description="Demo mode only: password of the seeded demo users; unset, a random "
                          "one per user is generated at every start and logged",
    )
    authorizer_projection_wait_s: float = Field(
        10.0, gt=0, description="How long the authorizer waits for the device projection to "
                                "catch up with ssp.devices before retrying the request",
    )
    authorizer_clock_margin_s: float = Field(
        1.0, ge=0, description="A requested command stamped (Kafka record time) this long "
                               "before the authorizer's last proof that the device projection "
                               "was current is decided without a new proof; covers clock "
                               "skew between producers and this service (0 = prove for every "
                               "command)",
    )
    decision_retention_days: float = Field(
        8.0, ge=7.0, description="How long a command's decision is kept to recognise a "
                                 "redelivered request; at least the 7-day retention of "
                                 "ssp.commands.requested",
    )
    role_refresh_interval_s: float = Field(
        5.0, gt=0, description="Period of the sweep that republishes the access snapshots of "
                               "holders of a changed role (after a crash mid-way)",
    )

    # The command limits, enforced here on every request (the gateway's settings of the same
    # names are its pre-check; set both alike).
    user_command_limit: int = Field(30, ge=1, description="Commands per user per window")
    user_command_window_s: int = Field(600, gt=0, description="Per-user command window")
    device_command_limit: int = Field(10, ge=1, description="Commands per device per window")
    device_command_window_s: int = Field(600, gt=0, description="Per-device command window")
    pending_command_s: int = Field(
        24 * 60 * 60, gt=0,
        description="How long an unfinished command blocks an identical one on the same device")
    wipe_breaker_max: int = Field(
        20, ge=1, description="Wipes per org per window before the wipe circuit breaker trips")
    wipe_breaker_window_s: int = Field(600, gt=0, description="Wipe circuit breaker window")
    wipe_breaker_open_s: int = Field(
        3600, gt=0, description="How long a tripped wipe breaker stays open unless an admin "
                                "resets it (keep it at least the window)")
    wipe_breaker_poll_s: float = Field(
        5.0, gt=0, description="How often breaker resets made on other instances are read "
                               "from the database")

    authorization_signing_key: SecretStr | None = Field(
        None, description="Ed25519 private key (base64 of its 32-byte seed) that signs every "
                          "CommandAuthorized; the dispatcher trusts its public key "
                          "(SSP_AUTHORIZATION_TRUSTED_KEYS). Required outside demo mode; demo "
                          "mode, when unset: the demo key of ssp_runtime.signing")
    portal_request_trusted_keys: list[str] = Field(
        default_factory=list,
        description="The gateway's Ed25519 public keys (base64, JSON list): a CommandRequested "
                    "signed by one counts as from the portal, any other as from an "
                    "integration. Required outside demo mode; demo mode, when unset: the demo "
                    "key of ssp_runtime.signing")

    def authorization_signer(self) -> Signer:
        key = self.authorization_signing_key
        return signer_from_settings(key.get_secret_value() if key else None,
                                    "SSP_AUTHORIZATION_SIGNING_KEY", demo=self.demo_mode,
                                    purpose=AUTHORIZATIONS)

    def portal_request_verifier(self) -> Verifier:
        return verifier_from_settings(self.portal_request_trusted_keys,
                                      "SSP_PORTAL_REQUEST_TRUSTED_KEYS", demo=self.demo_mode,
                                      purpose=PORTAL_REQUESTS)

    def limit_policy(self) -> LimitPolicy:
        return LimitPolicy(
            user_limit=self.user_command_limit,
            user_window=timedelta(seconds=self.user_command_window_s),
            device_limit=self.device_command_limit,
            device_window=timedelta(seconds=self.device_command_window_s),
            wipe_max=self.wipe_breaker_max,
            wipe_window=timedelta(seconds=self.wipe_breaker_window_s),
            wipe_open_for=timedelta(seconds=self.wipe_breaker_open_s),
            pending_for=timedelta(seconds=self.pending_command_s))

    @property
    def admin_org(self) -> str:
        return self.bootstrap_admin_org or self.default_org

    @model_validator(mode="after")
    def _bootstrap_admin_complete(self) -> Settings:
        username, password = self.bootstrap_admin_username, self.bootstrap_admin_password
        if bool(username) != bool(password and password.get_secret_value()):
            raise ValueError("set both SSP_BOOTSTRAP_ADMIN_USERNAME and "
                             "SSP_BOOTSTRAP_ADMIN_PASSWORD, or neither")
        if username:
            self.require_secret("SSP_BOOTSTRAP_ADMIN_PASSWORD", password)
        return self
