"""Which device is talking: the fingerprint of the client certificate a TLS proxy forwards.

The proxy terminates mutual TLS and checks the chain to the enrollment CA; it forwards the
certificate URL-encoded in a header. This module only reads it; it proves nothing by itself.
"""

from __future__ import annotations

import hashlib
from urllib.parse import unquote

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from command_dispatcher.windows.errors import IdentityError

DEFAULT_CERT_HEADER = "X-SSP-Client-Cert"
_MAX_HEADER_CHARS = 16 * 1024  # a device certificate is 1-2 KiB; refuse anything near a DoS


def certificate_fingerprint(header_value: str | None) -> str:
    """SHA-256 of the DER certificate, lowercase hex, from a URL-encoded PEM header value."""
    if not header_value:
        raise IdentityError("identity.no_certificate", "no client certificate was forwarded")
    if len(header_value) > _MAX_HEADER_CHARS:
        raise IdentityError("identity.certificate_too_large", "client certificate header too large")
    try:
        certificate = x509.load_pem_x509_certificate(unquote(header_value).encode("ascii"))
    except (ValueError, UnicodeEncodeError) as exc:
        raise IdentityError("identity.bad_certificate", "not a PEM certificate") from exc
    return hashlib.sha256(certificate.public_bytes(Encoding.DER)).hexdigest()
