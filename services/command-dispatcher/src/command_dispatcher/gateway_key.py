"""The gateway's key that one-time secrets (new passcodes) are sealed to.

Production sets `SSP_GATEWAY_PUBLIC_KEY` (base64 of a 32-byte X25519 public key); only the
gateway holds the private half. Demo mode without that setting uses a key pair anyone can
derive, so a demo gateway can open what a demo dispatcher sealed without sharing files:

    private key = SHA-256(b"ssp-demo-gateway-key-v1")   (32 raw bytes, an X25519 private key)
    public key  = X25519 base point multiplied by it     (nacl.public.PrivateKey(raw).public_key)

Being public, the demo pair protects nothing: demo data only.
"""

from __future__ import annotations

import base64
import binascii
import hashlib

from nacl.public import PrivateKey

DEMO_SEED = b"ssp-demo-gateway-key-v1"


class GatewayKeyError(ValueError):
    """SSP_GATEWAY_PUBLIC_KEY is not base64 of 32 bytes."""


def demo_gateway_private_key() -> bytes:
    """The demo gateway's private key (what a demo gateway opens sealed secrets with)."""
    return hashlib.sha256(DEMO_SEED).digest()


def demo_gateway_public_key() -> bytes:
    return bytes(PrivateKey(demo_gateway_private_key()).public_key)


def parse_public_key(value: str) -> bytes:
    try:
        raw = base64.b64decode(value.strip(), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise GatewayKeyError("SSP_GATEWAY_PUBLIC_KEY must be base64") from exc
    if len(raw) != 32:
        raise GatewayKeyError(f"SSP_GATEWAY_PUBLIC_KEY must hold 32 bytes, not {len(raw)}")
    return raw
