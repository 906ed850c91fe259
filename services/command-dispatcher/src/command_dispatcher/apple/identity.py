"""Which device sent a request: its certificate, from `Mdm-Signature` or a TLS proxy header.

Pinning (the certificate seen at Authenticate stays bound to the UDID) is the store's job;
this module proves possession of a certificate and optionally that a known CA issued it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from urllib.parse import unquote

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.serialization import Encoding

from command_dispatcher.apple.cms import verify_detached
from command_dispatcher.apple.errors import IdentityError

SIGNATURE_HEADER = "Mdm-Signature"


@dataclass(frozen=True)
class DeviceIdentity:
    certificate: x509.Certificate
    fingerprint: str  # SHA-256 of the DER certificate, lowercase hex
    issuer: str | None = None  # fingerprint of the configured CA that issued it, if checked


@dataclass(frozen=True)
class IdentitySettings:
    # Only set when a TLS-terminating proxy strips this header from client requests and sets
    # it itself; otherwise any client could claim any certificate.
    proxy_certificate_header: str | None = None
    ca_certificates: Sequence[x509.Certificate] = field(default_factory=tuple)


def fingerprint(cert: x509.Certificate) -> str:
    """SHA-256 over the DER encoding, hex; what the store pins to a UDID."""
    return hashlib.sha256(cert.public_bytes(Encoding.DER)).hexdigest()


def _identity(cert: x509.Certificate) -> DeviceIdentity:
    return DeviceIdentity(certificate=cert, fingerprint=fingerprint(cert))


def verify_mdm_signature(header_value: str, body: bytes) -> DeviceIdentity:
    """Verify the base64 detached CMS signature of `body`; return the signer's identity."""
    try:
        der = base64.b64decode("".join(header_value.split()), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise IdentityError("identity.malformed_signature", "Mdm-Signature is not base64") from exc
    return _identity(verify_detached(der, body))


def certificate_from_proxy_header(value: str) -> DeviceIdentity:
    """A client certificate forwarded by a proxy: PEM, URL-encoded PEM (nginx), or base64 DER."""
    text = unquote(value).strip() if "%" in value else value.strip()
    try:
        if "-----BEGIN" in text:
            # Some proxies fold the PEM onto one line with spaces instead of newlines.
            body = text.split("-----")[2]
            der = base64.b64decode("".join(body.split()), validate=True)
        else:
            der = base64.b64decode("".join(text.split()), validate=True)
        return _identity(x509.load_der_x509_certificate(der))
    except (IndexError, ValueError, binascii.Error) as exc:
        raise IdentityError(
            "identity.malformed_certificate", "unreadable client certificate"
        ) from exc


def load_ca_bundle(pem: bytes) -> list[x509.Certificate]:
    """Parse a PEM bundle of the CA certificates that may issue device identities."""
    return x509.load_pem_x509_certificates(pem)


def check_issued_by(
    cert: x509.Certificate,
    ca_certificates: Sequence[x509.Certificate],
    *,
    at: datetime | None = None,
) -> x509.Certificate:
    """The CA that signed `cert` directly; raise unless there is one and `cert` is valid now."""
    at = at or datetime.now(UTC)
    if not cert.not_valid_before_utc <= at <= cert.not_valid_after_utc:
        raise IdentityError("identity.expired", "the device certificate is not valid now")
    for ca in ca_certificates:
        try:
            cert.verify_directly_issued_by(ca)
        except (ValueError, TypeError, InvalidSignature):  # issuer name, key type or signature
            continue
        return ca
    raise IdentityError("identity.untrusted_issuer", "no trusted CA issued the device certificate")


def identify(headers: Mapping[str, str], body: bytes, settings: IdentitySettings) -> DeviceIdentity:
    """The edge's one call: signature header first, then the proxy header, then the CA check.

    `headers` must look up names case-insensitively (Starlette's and httpx's headers do).
    """
    signature = headers.get(SIGNATURE_HEADER)
    if signature:
        identity = verify_mdm_signature(signature, body)
    elif settings.proxy_certificate_header and headers.get(settings.proxy_certificate_header):
        identity = certificate_from_proxy_header(headers[settings.proxy_certificate_header])
    else:
        raise IdentityError("identity.missing", "no Mdm-Signature and no client certificate")
    if settings.ca_certificates:
        ca = check_issued_by(identity.certificate, settings.ca_certificates)
        return replace(identity, issuer=fingerprint(ca))
    return identity
