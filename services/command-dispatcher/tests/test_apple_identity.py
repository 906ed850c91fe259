"""Mdm-Signature verification, proxy-forwarded certificates and the CA check."""

import base64
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import pytest
from command_dispatcher.apple.errors import IdentityError
from command_dispatcher.apple.identity import (
    IdentitySettings,
    certificate_from_proxy_header,
    check_issued_by,
    fingerprint,
    identify,
    load_ca_bundle,
    verify_mdm_signature,
)
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs7
from cryptography.x509.oid import NameOID

Key = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
BODY = b'<?xml version="1.0"?>\r\n<plist version="1.0"><dict><key>Status</key>\n</dict></plist>\n'


def _certificate(
    key: Key,
    subject: str,
    *,
    issuer: tuple[x509.Certificate, Key] | None = None,
    days: int = 30,
    start: datetime | None = None,
) -> x509.Certificate:
    start = start or datetime.now(UTC) - timedelta(minutes=1)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)])
    issuer_name, signing_key = (issuer[0].subject, issuer[1]) if issuer else (name, key)
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + timedelta(days=days))
        .sign(signing_key, hashes.SHA256())
    )


def _sign(body: bytes, cert: x509.Certificate, key: Key, *extra: pkcs7.PKCS7Options) -> str:
    options = [pkcs7.PKCS7Options.DetachedSignature, pkcs7.PKCS7Options.Binary, *extra]
    der = (
        pkcs7.PKCS7SignatureBuilder()
        .set_data(body)
        .add_signer(cert, key, hashes.SHA256())
        .sign(serialization.Encoding.DER, options)
    )
    return base64.b64encode(der).decode()


@pytest.fixture(scope="module")
def rsa_device() -> tuple[x509.Certificate, rsa.RSAPrivateKey]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return _certificate(key, "rsa-device"), key


@pytest.fixture(scope="module")
def ec_device() -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    key = ec.generate_private_key(ec.SECP256R1())
    return _certificate(key, "ec-device"), key


@pytest.mark.parametrize("device", ["rsa_device", "ec_device"])
def test_valid_signature_returns_the_signer(device: str, request: pytest.FixtureRequest) -> None:
    cert, key = request.getfixturevalue(device)
    identity = verify_mdm_signature(_sign(BODY, cert, key), BODY)
    assert identity.certificate == cert
    assert identity.fingerprint == fingerprint(cert)
    assert len(identity.fingerprint) == 64


def test_signature_without_signed_attributes(rsa_device) -> None:
    cert, key = rsa_device
    header = _sign(BODY, cert, key, pkcs7.PKCS7Options.NoAttributes)
    assert verify_mdm_signature(header, BODY).certificate == cert


@pytest.mark.parametrize("device", ["rsa_device", "ec_device"])
def test_tampered_body_is_refused(device: str, request: pytest.FixtureRequest) -> None:
    cert, key = request.getfixturevalue(device)
    header = _sign(BODY, cert, key)
    with pytest.raises(IdentityError) as caught:
        verify_mdm_signature(header, BODY.replace(b"Status", b"Statue"))
    assert caught.value.code == "identity.digest_mismatch"


def test_tampered_body_without_attributes_is_refused(rsa_device) -> None:
    cert, key = rsa_device
    header = _sign(BODY, cert, key, pkcs7.PKCS7Options.NoAttributes)
    with pytest.raises(IdentityError) as caught:
        verify_mdm_signature(header, BODY + b" ")
    assert caught.value.code == "identity.bad_signature"


def test_someone_elses_certificate_in_the_signature_is_refused(rsa_device) -> None:
    """An attacker signs with their own key but includes the victim device's certificate."""
    victim_cert, _ = rsa_device
    attacker_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    with pytest.raises(IdentityError) as caught:
        verify_mdm_signature(_sign(BODY, victim_cert, attacker_key), BODY)
    assert caught.value.code == "identity.bad_signature"


def test_swapped_certificate_is_visible_in_the_fingerprint(rsa_device) -> None:
    """A valid signature by another certificate verifies; the pinned fingerprint catches it."""
    pinned_cert, _ = rsa_device
    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    other = verify_mdm_signature(
        _sign(BODY, _certificate(other_key, "rsa-device"), other_key), BODY
    )
    assert other.fingerprint != fingerprint(pinned_cert)


@pytest.mark.parametrize(
    "header", ["not base64 at all!", base64.b64encode(b"\x30\x03junk").decode(), ""]
)
def test_garbage_signatures(header: str) -> None:
    with pytest.raises(IdentityError) as caught:
        verify_mdm_signature(header, BODY)
    assert caught.value.code == "identity.malformed_signature"


def test_proxy_header_with_url_encoded_pem(rsa_device) -> None:
    cert, _ = rsa_device
    pem = cert.public_bytes(serialization.Encoding.PEM).decode()
    assert certificate_from_proxy_header(quote(pem)).certificate == cert
    assert certificate_from_proxy_header(pem.replace("\n", " ")).certificate == cert
    der_b64 = base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode()
    assert certificate_from_proxy_header(der_b64).certificate == cert
    with pytest.raises(IdentityError):
        certificate_from_proxy_header("-----BEGIN CERTIFICATE-----garbage")


def test_identify_prefers_the_signature_and_ignores_unconfigured_proxy_headers(rsa_device) -> None:
    cert, key = rsa_device
    pem = quote(cert.public_bytes(serialization.Encoding.PEM).decode())
    assert (
        identify({"Mdm-Signature": _sign(BODY, cert, key)}, BODY, IdentitySettings()).certificate
        == cert
    )
    with pytest.raises(IdentityError) as caught:
        identify({"X-Client-Cert": pem}, BODY, IdentitySettings())
    assert caught.value.code == "identity.missing"
    settings = IdentitySettings(proxy_certificate_header="X-Client-Cert")
    assert identify({"X-Client-Cert": pem}, BODY, settings).certificate == cert


def test_ca_check() -> None:
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = _certificate(ca_key, "Device CA")
    bundle = load_ca_bundle(ca.public_bytes(serialization.Encoding.PEM))
    device_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    issued = _certificate(device_key, "issued-device", issuer=(ca, ca_key))
    self_signed = _certificate(device_key, "issued-device")
    assert check_issued_by(issued, bundle) == ca
    settings = IdentitySettings(ca_certificates=bundle)
    who = identify({"Mdm-Signature": _sign(BODY, issued, device_key)}, BODY, settings)
    assert who.certificate == issued
    assert who.issuer == fingerprint(ca)  # the enrollment configuration's org follows the CA
    with pytest.raises(IdentityError) as caught:
        identify({"Mdm-Signature": _sign(BODY, self_signed, device_key)}, BODY, settings)
    assert caught.value.code == "identity.untrusted_issuer"
    # Same subject name as the CA, different key: the signature, not the name, decides.
    impostor_key = ec.generate_private_key(ec.SECP256R1())
    forged = _certificate(
        device_key, "x", issuer=(_certificate(impostor_key, "Device CA"), impostor_key)
    )
    with pytest.raises(IdentityError):
        check_issued_by(forged, bundle)
    expired = _certificate(
        device_key, "old", issuer=(ca, ca_key), days=1, start=datetime.now(UTC) - timedelta(days=10)
    )
    with pytest.raises(IdentityError) as caught:
        check_issued_by(expired, bundle)
    assert caught.value.code == "identity.expired"
