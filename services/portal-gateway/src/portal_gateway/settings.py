"""Settings of the portal-gateway (environment variables with the `SSP_` prefix)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr, field_validator
from ssp_runtime.settings import ServiceSettings
from ssp_runtime.signing import PORTAL_REQUESTS, Signer, signer_from_settings

SERVICE = "portal-gateway"
DEFAULT_PORT = 8000


class Settings(ServiceSettings):
    default_org_id: str = Field("default", description="Org used when a login names none")
    consumer_group_prefix: str = Field(
        SERVICE, description="Prefix of the projection consumer groups (one per deployment)")
    projections_from_beginning: bool = Field(
        True, description="New consumer groups read the projection topics from the beginning "
                          "(always in production; only throwaway test instances set false; "
                          "ssp.access is read whole either way)")
    session_cookie_name: str = Field("ssp_session", description="Name of the session cookie")
    cookie_secure: Literal["auto", "always", "never"] = Field(
        "auto", description="Secure cookie flag: auto = only when the request came over HTTPS")
    session_idle_s: int = Field(30 * 60, gt=0, description="Session idle timeout")
    session_absolute_s: int = Field(12 * 60 * 60, gt=0, description="Session absolute lifetime")
    session_sweep_s: float = Field(300.0, gt=0, description="Period of the expired-data sweep")
    step_up_s: int = Field(5 * 60, gt=0, description="How long a re-authentication counts")
    confirmation_s: int = Field(120, gt=0, description="Lifetime of a confirmation token")
    pending_command_s: int = Field(
        24 * 60 * 60, gt=0,
        description="How long an unfinished command blocks an identical one on the same device")
    idempotency_s: int = Field(24 * 60 * 60, gt=0, description="Idempotency-Key retention")
    user_command_limit: int = Field(30, ge=1, description="Commands per user per window")
    user_command_window_s: int = Field(600, gt=0, description="Per-user command window")
    device_command_limit: int = Field(10, ge=1, description="Commands per device per window")
    device_command_window_s: int = Field(600, gt=0, description="Per-device command window")
    wipe_breaker_max: int = Field(
        20, ge=1, description="Wipes per org per window before the wipe circuit breaker trips "
                              "(all instances together)")
    wipe_breaker_window_s: int = Field(600, gt=0, description="Wipe circuit breaker window")
    wipe_breaker_open_s: int = Field(
        3600, gt=0, description="How long a tripped wipe breaker stays open unless an admin "
                                "resets it (keep it at least the window)")
    wipe_breaker_poll_s: float = Field(
        15.0, gt=0, description="How often the open-breaker gauge is refreshed from the database")
    memory_reads: bool = Field(
        False, description="Answer device lists, sessions and accounts from memory, kept "
                           "current by every instance's live feed (see memory_reads.py)")
    memory_resync_s: float = Field(
        60.0, gt=0, description="With memory reads: how often devices and accounts are "
                                "reloaded from the projection")
    session_cache_s: float = Field(
        60.0, gt=0, description="With memory reads: how long a session is remembered before it "
                                "is read again (other instances move its idle clock); a "
                                "sign-out on any instance applies at once (ssp.sessions)")
    login_limit: int = Field(10, ge=1, description="Step-up password attempts per user per "
                                                   "window (login attempts are throttled per "
                                                   "account and address, see the "
                                                   "permission-service)")
    login_window_s: int = Field(300, gt=0, description="Login attempt window")
    login_address_limit: int = Field(
        100, ge=1, description="Failed logins per client address per window, any username "
                               "(a site behind one NAT address shares it; a successful login "
                               "is not counted)")
    trusted_proxies: list[str] = Field(
        default_factory=list,
        description="Addresses or CIDR blocks of reverse proxies whose X-Forwarded-For is "
                    "believed (JSON list); from any other peer the header is ignored")
    sse_heartbeat_s: float = Field(15.0, gt=0, description="SSE heartbeat comment period")
    admin_page_size: int = Field(50, ge=1, le=500, description="Rows per admin device page")
    max_body_bytes: int = Field(
        64 * 1024, ge=1024, description="Largest request body but a CSV upload (JSON and "
                                        "forms): a larger one is refused with 413 unread")
    import_max_bytes: int = Field(20 * 1024 * 1024, ge=1024,
                                  description="Largest CSV upload, enforced while it arrives")
    import_max_rows: int = Field(200_000, ge=1, description="Most data rows in one CSV import")
    import_retention_s: int = Field(7 * 24 * 60 * 60, gt=0,
                                    description="How long import progress and reports are kept")
    portal_request_signing_key: SecretStr | None = Field(
        None, description="Ed25519 private key (base64 of its 32-byte seed) that signs every "
                          "CommandRequested the portal publishes; the permission-service "
                          "trusts its public key (SSP_PORTAL_REQUEST_TRUSTED_KEYS) and treats "
                          "an unsigned request as an integration's. Required outside demo "
                          "mode; demo mode, when unset: the demo key of ssp_runtime.signing")
    gateway_private_key: SecretStr | None = Field(
        None, description="X25519 private key (base64 of 32 bytes) that opens one-time "
                          "passcodes; unset: the demo key in demo mode, else none is shown")
    passcode_keep_s: int = Field(
        7 * 24 * 60 * 60, gt=0, description="How long a new passcode can be shown (once)")
    map_tile_url: str = Field(
        "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
        description="Map tiles of the device page's location map ({z}/{x}/{y}, optionally "
                    "{s}); the browser fetches them, so the tile server learns the area "
                    "shown. Empty: no map, coordinates and a link only")
    map_attribution: str = Field(
        "© OpenStreetMap contributors",
        description="Attribution shown on the map, as the tile server's terms require")
    ops_host: str = Field("127.0.0.1", description="Address of the ops listener")
    ops_port: int = Field(
        0, ge=0, description="Serve /healthz /readyz /metrics /peers on this separate port and "
        "not on the user-facing one (production: set it, expose only the main port publicly)")

    @field_validator("map_tile_url")
    @classmethod
    def _tiles_over_http(cls, url: str) -> str:
        if url and (not url.startswith(("https://", "http://"))
                    or not all(part in url for part in ("{z}", "{x}", "{y}"))):
            raise ValueError("an http(s) URL template with {z}, {x} and {y}, or empty")
        return url

    def map_tile_origin(self) -> str | None:
        """The tile server's origin for the Content-Security-Policy ({s} subdomains: *)."""
        if not self.map_tile_url:
            return None
        scheme, rest = self.map_tile_url.split("://", 1)
        return f"{scheme}://{rest.split('/', 1)[0].replace('{s}', '*')}"

    def portal_request_signer(self) -> Signer:
        key = self.portal_request_signing_key
        return signer_from_settings(key.get_secret_value() if key else None,
                                    "SSP_PORTAL_REQUEST_SIGNING_KEY", demo=self.demo_mode,
                                    purpose=PORTAL_REQUESTS)
