"""The forwarded client certificate: only from a trusted proxy, from the device CA, naming the
device (issue 17, finding 3: "Windows identity is a forwarded header (X-SSP-Client-Cert,
trusted by default, no CA, no proof of possession)")."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import pytest
from command_dispatcher.windows.errors import IdentityError
from command_dispatcher.windows.identity import WindowsTrust, check_bound_to, client_certificate
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID

NOW = datetime.now(UTC)
ANY_PEER = WindowsTrust(any_peer=True)


def _certificate(cn: str = "device", issuer: tuple[x509.Name, ec.EllipticCurvePrivateKey] |
                 None = None) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    issuer_name, signer = issuer or (name, key)
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(issuer_name)
                   .public_key(key.public_key()).serial_number(x509.random_serial_number())
                   .not_valid_before(NOW - timedelta(minutes=1))
                   .not_valid_after(NOW + timedelta(days=1)).sign(signer, hashes.SHA256()))
    return certificate, key


def _header(certificate: x509.Certificate) -> str:
    return quote(certificate.public_bytes(Encoding.PEM).decode(), safe="")


def _code(call) -> str:  # type: ignore[no-untyped-def]
    with pytest.raises(IdentityError) as caught:
        call()
    return caught.value.code


def test_fingerprint_of_a_url_encoded_pem() -> None:
    certificate, _ = _certificate()
    expected = hashlib.sha256(certificate.public_bytes(Encoding.DER)).hexdigest()
    assert client_certificate(_header(certificate), None, ANY_PEER).fingerprint == expected


@pytest.mark.parametrize(("value", "code"), [
    (None, "identity.no_certificate"), ("", "identity.no_certificate"),
    ("-----BEGIN%20CERTIFICATE-----%0Agarbage", "identity.bad_certificate"),
    ("%E2%9C%93", "identity.bad_certificate"), ("x" * 20000, "identity.certificate_too_large"),
])
def test_bad_headers(value: str | None, code: str) -> None:
    assert _code(lambda: client_certificate(value, None, ANY_PEER)) == code


def test_the_header_counts_only_from_a_configured_proxy() -> None:
    """Issue 17 asks: "the client certificate comes from the TLS terminator only when the
    peer is a configured trusted proxy ... the header is ignored from anyone else"."""
    certificate, _ = _certificate()
    trust = WindowsTrust.configured(["10.0.0.0/8", "192.0.2.7"], [], demo=False)
    assert client_certificate(_header(certificate), "10.1.2.3", trust)
    assert client_certificate(_header(certificate), "192.0.2.7", trust)
    for peer in ("127.0.0.1", "192.0.2.8", None, "not-an-address"):
        assert _code(lambda p=peer: client_certificate(_header(certificate), p, trust)) == (
            "identity.no_certificate")
    # Demo mode without proxies believes anyone; with proxies configured, only them.
    assert WindowsTrust.configured([], [], demo=True).from_proxy("203.0.113.9")
    assert not WindowsTrust.configured(["10.0.0.0/8"], [], demo=True).from_proxy("127.0.0.1")
    assert not WindowsTrust.configured([], [], demo=False).from_proxy("127.0.0.1")


def test_the_certificate_must_come_from_the_device_ca_and_name_the_device() -> None:
    """Issue 17 asks: "is verified against a configured CA ... and is bound to the DeviceID at
    enrollment". A device certificate's subject is its DeviceID (MS-MDE2)."""
    ca, ca_key = _certificate("Device CA")
    trust = WindowsTrust.configured(["10.0.0.1"], [ca], demo=False)
    issued, _ = _certificate("DEVICE-A", issuer=(ca.subject, ca_key))
    client = client_certificate(_header(issued), "10.0.0.1", trust, now=NOW)
    check_bound_to(client, "DEVICE-A", trust)
    assert _code(lambda: check_bound_to(client, "DEVICE-B", trust)) == "identity.other_device"
    self_made, _ = _certificate("DEVICE-A")
    assert _code(lambda: client_certificate(_header(self_made), "10.0.0.1", trust)) == (
        "identity.untrusted_issuer")
    assert _code(lambda: client_certificate(_header(issued), "10.0.0.1", trust,
                                            now=NOW + timedelta(days=2))) == "identity.expired"
    check_bound_to(client_certificate(_header(self_made), None, ANY_PEER), "ANY", ANY_PEER)
