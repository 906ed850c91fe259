"""Sealing one-time secrets to the gateway's key, and the documented demo key pair."""

from __future__ import annotations

import base64
import hashlib

import pytest
from nacl.public import PrivateKey
from ssp_runtime.sealing import (
    KeySettingError,
    SealingError,
    demo_private_key,
    demo_public_key,
    key_from_setting,
    open_sealed,
    public_key_of,
    seal_secret,
)


def test_round_trip_with_raw_and_base64_keys() -> None:
    key = PrivateKey.generate()
    public_b64 = base64.b64encode(bytes(key.public_key)).decode()
    sealed = seal_secret("482913", public_b64)
    assert "482913" not in sealed
    assert open_sealed(sealed, bytes(key)) == "482913"
    private_b64 = base64.b64encode(bytes(key)).decode()
    assert open_sealed(seal_secret("ünïcode", bytes(key.public_key)), private_b64) == "ünïcode"


def test_every_seal_differs() -> None:
    public = bytes(PrivateKey.generate().public_key)
    assert seal_secret("1", public) != seal_secret("1", public)


def test_wrong_key_tampering_and_garbage_fail() -> None:
    key, other = PrivateKey.generate(), PrivateKey.generate()
    sealed = seal_secret("482913", bytes(key.public_key))
    with pytest.raises(SealingError):
        open_sealed(sealed, bytes(other))
    raw = bytearray(base64.b64decode(sealed))
    raw[-1] ^= 1
    with pytest.raises(SealingError):
        open_sealed(base64.b64encode(bytes(raw)).decode(), bytes(key))
    with pytest.raises(SealingError):
        open_sealed("not base64!", bytes(key))


@pytest.mark.parametrize("bad", ["not base64!", base64.b64encode(b"short").decode(), b"\x00" * 31])
def test_bad_keys_are_refused(bad: str | bytes) -> None:
    with pytest.raises(SealingError):
        seal_secret("1", bad)


def test_the_demo_pair_is_the_documented_derivation() -> None:
    private = hashlib.sha256(b"ssp-demo-gateway-key-v1").digest()
    assert demo_private_key() == private
    assert demo_public_key() == bytes(PrivateKey(private).public_key) == public_key_of(private)
    assert open_sealed(seal_secret("135790", demo_public_key()), demo_private_key()) == "135790"


def test_key_settings_are_base64_of_32_bytes_and_errors_name_the_setting() -> None:
    key = bytes(PrivateKey.generate())
    assert key_from_setting(" " + base64.b64encode(key).decode() + "\n", "SSP_X_KEY") == key
    with pytest.raises(KeySettingError, match="SSP_X_KEY must be base64"):
        key_from_setting("not base64!", "SSP_X_KEY")
    with pytest.raises(KeySettingError, match="SSP_X_KEY must hold 32 bytes, not 5"):
        key_from_setting(base64.b64encode(b"short").decode(), "SSP_X_KEY")
    assert issubclass(KeySettingError, ValueError)  # settings validation reports it as such
