"""Signed events: who wrote a Kafka record, provable to whoever reads it.

Kafka's ACLs decide who may write a topic; a signature makes a mis-set ACL harmless for the
records that matter. The permission-service signs every `CommandAuthorized` (the dispatcher
stores and delivers only those), and the gateway signs every `CommandRequested` it publishes
(only those count as coming from the portal).

Ed25519 (libsodium, the library `ssp_runtime.sealing` uses). What is signed is the record's
exact value bytes (the event's canonical JSON, `ssp_contracts.cloudevents.to_value`) behind a
prefix that names the scheme and the event type, so a signature for one kind of event never
fits another:

    b"ssp-signature-v1\\n" + ce_type + b"\\n" + value

Two headers carry it: `ssp_signature_key` (the key id: the first 16 hex digits of SHA-256 of
the public key) and `ssp_signature` (base64 of the 64-byte signature). A reader trusts a set
of public keys by key id, so keys can be rotated: trust the new one, switch the signer, then
drop the old one.

Keys travel in settings as base64 of 32 raw bytes (the private key's seed, the public key).
Demo mode without a key setting uses a key anyone can derive, per purpose (it protects
nothing: demo data only):

    private key seed = SHA-256(b"ssp-demo-signing-key-v1:" + purpose)
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from nacl.exceptions import BadSignatureError
from nacl.signing import SigningKey, VerifyKey

from ssp_runtime.consuming import PermanentError
from ssp_runtime.sealing import key_from_setting

SCHEME = b"ssp-signature-v1"
SIGNATURE_HEADER = "ssp_signature"
KEY_ID_HEADER = "ssp_signature_key"
DEMO_SEED = b"ssp-demo-signing-key-v1:"
# Purposes of the two signing keys (demo keys differ by purpose).
AUTHORIZATIONS = "authorizations"  # the permission-service's CommandAuthorized
PORTAL_REQUESTS = "portal-requests"  # the gateway's CommandRequested


class SignatureRefused(PermanentError):
    """A record without a valid signature of a trusted key (it goes to the DLQ at once)."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason  # unsigned | unknown_key | bad_signature


def key_id(public_key: bytes) -> str:
    return hashlib.sha256(public_key).hexdigest()[:16]


def _signed_bytes(event_type: str, value: bytes) -> bytes:
    return SCHEME + b"\n" + event_type.encode() + b"\n" + value


def demo_private_key(purpose: str) -> bytes:
    return hashlib.sha256(DEMO_SEED + purpose.encode()).digest()


def public_key_of(private_key: bytes) -> bytes:
    return bytes(SigningKey(private_key).verify_key)


def new_key_pair() -> tuple[str, str]:
    """A fresh (private, public) pair as setting values (base64)."""
    private = SigningKey.generate()
    return (base64.b64encode(bytes(private)).decode(),
            base64.b64encode(bytes(private.verify_key)).decode())


class Signer:
    def __init__(self, private_key: bytes) -> None:
        self._key = SigningKey(private_key)
        self.key_id = key_id(bytes(self._key.verify_key))

    def headers(self, event_type: str, value: bytes) -> dict[str, str]:
        """The headers that sign a record of `event_type` whose value is `value`."""
        signature = self._key.sign(_signed_bytes(event_type, value)).signature
        return {KEY_ID_HEADER: self.key_id,
                SIGNATURE_HEADER: base64.b64encode(signature).decode("ascii")}


@dataclass(frozen=True)
class Verifier:
    trusted: Mapping[str, VerifyKey]  # key id -> public key

    @classmethod
    def of(cls, public_keys: Iterable[bytes]) -> Verifier:
        return cls({key_id(k): VerifyKey(k) for k in public_keys})

    def verify(self, event_type: str, value: bytes | None,
               headers: Mapping[str, str]) -> str:
        """The key id that signed the record; `SignatureRefused` when none of ours did."""
        kid, signature = headers.get(KEY_ID_HEADER), headers.get(SIGNATURE_HEADER)
        if not kid or not signature or value is None:
            raise SignatureRefused("unsigned", "the record carries no signature")
        key = self.trusted.get(kid)
        if key is None:
            raise SignatureRefused("unknown_key", f"key id {kid!r} is not trusted")
        try:
            key.verify(_signed_bytes(event_type, value),
                       base64.b64decode(signature, validate=True))
        except (BadSignatureError, binascii.Error, ValueError) as exc:
            raise SignatureRefused("bad_signature", "the signature does not match the record"
                                   ) from exc
        return kid


def signer_from_settings(value: str | None, setting: str, *, demo: bool,
                         purpose: str) -> Signer:
    """The signer of a private-key setting; unset is an error outside demo mode."""
    if value:
        return Signer(key_from_setting(value, setting))
    if demo:
        return Signer(demo_private_key(purpose))
    raise ValueError(f"{setting} must be set outside demo mode")


def verifier_from_settings(values: Iterable[str], setting: str, *, demo: bool,
                           purpose: str) -> Verifier:
    """The verifier of a trusted-public-keys setting; empty is an error outside demo mode."""
    keys = [key_from_setting(v, setting) for v in values if v.strip()]
    if keys:
        return Verifier.of(keys)
    if demo:
        return Verifier.of([public_key_of(demo_private_key(purpose))])
    raise ValueError(f"{setting} must name at least one public key outside demo mode")
