"""APNs provider authentication tokens (JWT, ES256), built by hand and cached.

[UNVERIFIED] Apple documents certificate authentication for MDM push topics; token auth is
here for APNs stand-ins and setups that accept it. Certificate auth is the default.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

# APNs refuses tokens older than an hour and throttles refreshes more often than every
# 20 minutes (TooManyProviderTokenUpdates), so one token serves ~50 minutes.
TOKEN_LIFETIME_S = 50 * 60


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def sign_es256_jwt(
    key: ec.EllipticCurvePrivateKey, key_id: str, team_id: str, issued_at: int
) -> str:
    """`header.claims.signature` where the signature is raw r||s (JWS), not DER."""
    header = _b64url(json.dumps({"alg": "ES256", "kid": key_id}, separators=(",", ":")).encode())
    claims = _b64url(json.dumps({"iss": team_id, "iat": issued_at}, separators=(",", ":")).encode())
    signing_input = f"{header}.{claims}".encode("ascii")
    r, s = decode_dss_signature(key.sign(signing_input, ec.ECDSA(hashes.SHA256())))
    return f"{header}.{claims}.{_b64url(r.to_bytes(32, 'big') + s.to_bytes(32, 'big'))}"


class ProviderToken:
    """Hands out the current JWT, re-signing it when it is ~50 minutes old or was refused."""

    def __init__(
        self,
        key_pem: bytes,
        key_id: str,
        team_id: str,
        clock: Callable[[], float] = time.time,
    ) -> None:
        key = serialization.load_pem_private_key(key_pem, password=None)
        if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != "secp256r1":
            raise ValueError("an APNs auth key must be a P-256 EC private key (.p8)")
        self._key, self._key_id, self._team_id, self._clock = key, key_id, team_id, clock
        self._token: str | None = None
        self._issued_at = 0

    def current(self) -> str:
        now = int(self._clock())
        if self._token is None or now - self._issued_at >= TOKEN_LIFETIME_S:
            self._token = sign_es256_jwt(self._key, self._key_id, self._team_id, now)
            self._issued_at = now
        return self._token

    def invalidate(self) -> None:
        """Called when APNs answers ExpiredProviderToken (e.g. after clock skew)."""
        self._token = None
