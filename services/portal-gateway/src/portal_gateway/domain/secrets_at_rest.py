"""Random bearer secrets (session ids, confirmation tokens) and how they are stored: hashed.

A database leak then yields no usable session: only the browser holds the secret itself.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

SECRET_BYTES = 32  # 256 bits


def new_secret() -> str:
    return secrets.token_urlsafe(SECRET_BYTES)


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def same_secret(given: str | None, expected: str) -> bool:
    """Constant-time comparison (CSRF tokens)."""
    return bool(given) and hmac.compare_digest(str(given).encode(), expected.encode())
