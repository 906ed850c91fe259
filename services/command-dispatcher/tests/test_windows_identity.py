"""The forwarded client certificate header."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import pytest
from command_dispatcher.windows.errors import IdentityError
from command_dispatcher.windows.identity import certificate_fingerprint
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID


def _certificate() -> x509.Certificate:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "device")])
    now = datetime.now(UTC)
    return (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(1)
            .not_valid_before(now).not_valid_after(now + timedelta(days=1))
            .sign(key, hashes.SHA256()))


def test_fingerprint_of_a_url_encoded_pem() -> None:
    certificate = _certificate()
    header = quote(certificate.public_bytes(Encoding.PEM).decode(), safe="")
    expected = hashlib.sha256(certificate.public_bytes(Encoding.DER)).hexdigest()
    assert certificate_fingerprint(header) == expected


@pytest.mark.parametrize(("value", "code"), [
    (None, "identity.no_certificate"), ("", "identity.no_certificate"),
    ("-----BEGIN%20CERTIFICATE-----%0Agarbage", "identity.bad_certificate"),
    ("%E2%9C%93", "identity.bad_certificate"), ("x" * 20000, "identity.certificate_too_large"),
])
def test_bad_headers(value: str | None, code: str) -> None:
    with pytest.raises(IdentityError) as caught:
        certificate_fingerprint(value)
    assert caught.value.code == code
