"""Sealing one-time secrets to the gateway's key."""

from __future__ import annotations

import base64

import pytest
from command_dispatcher.android.sealing import SealingError, open_sealed, seal_secret
from nacl.public import PrivateKey


def test_round_trip_with_raw_and_base64_keys() -> None:
    key = PrivateKey.generate()
    public_b64 = base64.b64encode(bytes(key.public_key)).decode()
    sealed = seal_secret("482913", public_b64)
    assert "482913" not in sealed
    assert open_sealed(sealed, bytes(key)) == "482913"
    assert open_sealed(seal_secret("ünïcode", bytes(key.public_key)), bytes(key)) == "ünïcode"


def test_every_seal_differs() -> None:
    public = bytes(PrivateKey.generate().public_key)
    assert seal_secret("1", public) != seal_secret("1", public)


def test_wrong_key_or_tampering_fails() -> None:
    key, other = PrivateKey.generate(), PrivateKey.generate()
    sealed = seal_secret("482913", bytes(key.public_key))
    with pytest.raises(SealingError):
        open_sealed(sealed, bytes(other))
    raw = bytearray(base64.b64decode(sealed))
    raw[-1] ^= 1
    with pytest.raises(SealingError):
        open_sealed(base64.b64encode(bytes(raw)).decode(), bytes(key))


@pytest.mark.parametrize("bad", ["not base64!", base64.b64encode(b"short").decode(), b"\x00" * 31])
def test_bad_keys_are_refused(bad: str | bytes) -> None:
    with pytest.raises(SealingError):
        seal_secret("1", bad)
