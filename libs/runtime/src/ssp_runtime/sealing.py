"""One-time secrets (a new passcode) sealed to the gateway's X25519 public key.

A libsodium sealed box: the dispatcher seals with the public key, only the gateway, holding
the private half, can open. Kafka, databases and logs in between only ever see ciphertext.

Keys travel in settings as base64 of 32 raw bytes. Demo mode without a key setting uses a key
pair anyone can derive, so a demo gateway opens what a demo dispatcher sealed without sharing
files (it protects nothing: demo data only):

    private key = SHA-256(b"ssp-demo-gateway-key-v1")   (32 raw bytes, an X25519 private key)
    public key  = X25519 base point multiplied by it     (nacl.public.PrivateKey(raw).public_key)
"""

from __future__ import annotations

import base64
import binascii
import hashlib

from nacl.exceptions import CryptoError
from nacl.public import PrivateKey, PublicKey, SealedBox

DEMO_SEED = b"ssp-demo-gateway-key-v1"
KEY_BYTES = 32


class SealingError(Exception):
    """A key or sealed value that is not what it should be."""


class KeySettingError(ValueError):
    """A key setting that is not base64 of 32 bytes (start-up must fail on it)."""


def demo_private_key() -> bytes:
    """The demo gateway's private key."""
    return hashlib.sha256(DEMO_SEED).digest()


def demo_public_key() -> bytes:
    return public_key_of(demo_private_key())


def public_key_of(private_key: bytes) -> bytes:
    return bytes(PrivateKey(private_key).public_key)


def key_from_setting(value: str, setting: str) -> bytes:
    """The 32 raw key bytes of a base64 setting; the error names the setting, never the value."""
    try:
        raw = base64.b64decode(value.strip(), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise KeySettingError(f"{setting} must be base64") from exc
    if len(raw) != KEY_BYTES:
        raise KeySettingError(f"{setting} must hold {KEY_BYTES} bytes, not {len(raw)}")
    return raw


def _key_bytes(key: str | bytes) -> bytes:
    if isinstance(key, bytes) and len(key) == KEY_BYTES:
        return key  # raw X25519 key
    try:
        raw = base64.b64decode(key, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise SealingError("a key must be 32 raw bytes or their base64") from exc
    if len(raw) != KEY_BYTES:
        raise SealingError(f"an X25519 key has {KEY_BYTES} bytes, not {len(raw)}")
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
