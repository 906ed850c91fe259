"""APNs MDM push over HTTP/2: wakes a device so it `connect`s and fetches its queue.

Retries and coalescing belong to the caller (see push_coalescer.py); this module builds the
request, sends it once and classifies the answer.
"""

from __future__ import annotations

import json
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx

from command_dispatcher.apple.apns_jwt import ProviderToken

APNS_PRODUCTION = "https://api.push.apple.com"
APNS_DEVELOPMENT = "https://api.development.push.apple.com"

# The device token is dead: stop pushing to it until the device sends a new TokenUpdate.
_DEAD_TOKEN_REASONS = frozenset({"BadDeviceToken", "DeviceTokenNotForTopic", "Unregistered"})


@dataclass(frozen=True)
class PushTarget:
    token: bytes  # from TokenUpdate
    push_magic: str  # from TokenUpdate
    topic: str  # the push certificate's topic, com.apple.mgmt.…


@dataclass(frozen=True)
class PushRequest:
    url: str
    headers: dict[str, str]
    body: bytes


@dataclass(frozen=True)
class PushResult:
    ok: bool
    status: int | None  # None: no HTTP answer (connection or timeout)
    reason: str | None = None  # APNs "reason", or the transport error's name
    apns_id: str | None = None

    @property
    def permanent(self) -> bool:
        """The token will never work again (410, or 400 BadDeviceToken and kin)."""
        return self.status == 410 or (self.status == 400 and self.reason in _DEAD_TOKEN_REASONS)

    @property
    def transient(self) -> bool:
        """Worth retrying with backoff: throttled, APNs trouble, network, stale provider token."""
        if self.ok:
            return False
        return (
            self.status is None
            or self.status == 429
            or self.status >= 500
            or self.reason == "ExpiredProviderToken"
        )


@dataclass(frozen=True)
class ApnsSettings:
    base_url: str = APNS_PRODUCTION
    # Certificate auth (the MDM push certificate and its key, PEM files)...
    cert_file: str | None = None
    key_file: str | None = None
    # ...or token auth with an APNs .p8 key.
    auth_key_pem: bytes | None = field(default=None, repr=False)
    key_id: str | None = None
    team_id: str | None = None
    expiration_s: int = 3 * 24 * 3600  # APNs keeps one pending push per device until then
    timeout_s: float = 10.0


def build_push_request(
    base_url: str, target: PushTarget, *, expires_at: int, authorization: str | None = None
) -> PushRequest:
    """The exact HTTP/2 request APNs expects for an MDM wake-up."""
    if not target.token or not target.push_magic or not target.topic:
        raise ValueError("a push needs a device token, a PushMagic and a topic")
    headers = {
        "apns-topic": target.topic,
        "apns-push-type": "mdm",
        "apns-priority": "10",
        "apns-expiration": str(expires_at),
        "content-type": "application/json",
    }
    if authorization:
        headers["authorization"] = f"bearer {authorization}"
    # Exactly {"mdm": PushMagic}: no "aps" key, or the device ignores the push.
    body = json.dumps({"mdm": target.push_magic}, separators=(",", ":")).encode()
    return PushRequest(f"{base_url.rstrip('/')}/3/device/{target.token.hex()}", headers, body)


def _reason(response: httpx.Response) -> str | None:
    try:
        reason = response.json().get("reason")
    except (ValueError, AttributeError):
        return None
    return reason if isinstance(reason, str) else None


class ApnsClient:
    """One HTTP/2 connection pool to APNs (or a stand-in at `settings.base_url`)."""

    def __init__(
        self,
        settings: ApnsSettings,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._settings, self._clock = settings, clock
        self._token: ProviderToken | None = None
        if settings.auth_key_pem is not None:
            if not (settings.key_id and settings.team_id):
                raise ValueError("token auth needs key_id and team_id")
            self._token = ProviderToken(
                settings.auth_key_pem, settings.key_id, settings.team_id, clock
            )
        verify: ssl.SSLContext | bool = True
        if settings.cert_file:
            verify = ssl.create_default_context()
            verify.load_cert_chain(settings.cert_file, settings.key_file)
        # http1=False: APNs speaks only HTTP/2; over http:// (a local stand-in) that means h2c
        # with prior knowledge.
        self._http = httpx.AsyncClient(
            http1=False, http2=True, verify=verify, transport=transport,
            timeout=settings.timeout_s,
        )

    def request_for(self, target: PushTarget) -> PushRequest:
        expires_at = int(self._clock()) + self._settings.expiration_s
        authorization = self._token.current() if self._token else None
        return build_push_request(
            self._settings.base_url, target, expires_at=expires_at, authorization=authorization
        )

    async def push(self, target: PushTarget) -> PushResult:
        request = self.request_for(target)
        try:
            response = await self._http.post(
                request.url, headers=request.headers, content=request.body
            )
        except httpx.TransportError as exc:
            return PushResult(ok=False, status=None, reason=type(exc).__name__)
        apns_id = response.headers.get("apns-id")
        if response.status_code == 200:
            return PushResult(ok=True, status=200, apns_id=apns_id)
        reason = _reason(response)
        if reason == "ExpiredProviderToken" and self._token:
            self._token.invalidate()
        return PushResult(ok=False, status=response.status_code, reason=reason, apns_id=apns_id)

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> ApnsClient:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.aclose()
