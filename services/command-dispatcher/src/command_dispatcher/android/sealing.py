"""One-time secrets (a new passcode) sealed to the gateway's public key before they travel.

A libsodium sealed box: only the holder of the gateway's private key can open it, so Kafka,
the dispatcher's database and its logs only ever see ciphertext.
"""

from __future__ import annotations

import base64
import binascii

from nacl.exceptions import CryptoError
from nacl.public import PrivateKey, PublicKey, SealedBox


class SealingError(Exception):
    """A key or sealed value that is not what it should be."""


def _key_bytes(key: str | bytes) -> bytes:
    if isinstance(key, bytes) and len(key) == 32:
        return key  # raw Curve25519 key
    try:
        raw = base64.b64decode(key, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise SealingError("a key must be 32 raw bytes or their base64") from exc
    if len(raw) != 32:
        raise SealingError(f"a Curve25519 key has 32 bytes, not {len(raw)}")
    return raw


def seal_secret(secret: str, public_key: str | bytes) -> str:
    """Base64 of the sealed box of `secret` (UTF-8) for the gateway's public key."""
    box = SealedBox(PublicKey(_key_bytes(public_key)))
    return base64.b64encode(box.encrypt(secret.encode())).decode("ascii")


def open_sealed(sealed: str, private_key: str | bytes) -> str:
    """The gateway side: the secret inside a value made by `seal_secret`."""
    box = SealedBox(PrivateKey(_key_bytes(private_key)))
    try:
        return box.decrypt(base64.b64decode(sealed, validate=True)).decode()
    except (CryptoError, binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise SealingError("the sealed value cannot be opened with this key") from exc
