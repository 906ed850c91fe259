"""The device's MDM identity: a self-signed certificate, forwarded like a TLS proxy would."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID

DEFAULT_CERT_HEADER = "X-SSP-Client-Cert"


@dataclass(frozen=True)
class DeviceCertificate:
    pem: bytes
    der: bytes = field(repr=False)

    @classmethod
    def create(cls, device_id: str, issuer: DeviceCA | None = None) -> DeviceCertificate:
        """Self-signed, or issued by `issuer` as an MDM enrollment would (subject CN: the
        DeviceID)."""
        # EC P-256: as good as the RSA 2048 of real enrollments here, and instant to generate.
        key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, device_id)])
        certificate = _signed(name, key, issuer.name if issuer else name,
                              issuer.key if issuer else key)
        return cls(certificate.public_bytes(Encoding.PEM), certificate.public_bytes(Encoding.DER))

    @property
    def fingerprint(self) -> str:
        """SHA-256 of the DER, lowercase hex: what the server keys the device by."""
        return hashlib.sha256(self.der).hexdigest()

    def header_value(self) -> str:
        """URL-encoded PEM, as nginx's `$ssl_client_escaped_cert` forwards it."""
        return quote(self.pem.decode("ascii"), safe="")


@dataclass(frozen=True)
class DeviceCA:
    """A CA issuing device certificates, as the MDM enrollment service's would."""

    name: x509.Name
    key: ec.EllipticCurvePrivateKey = field(repr=False)
    pem: bytes = field(repr=False)

    @classmethod
    def create(cls, common_name: str = "Simulated Windows device CA") -> DeviceCA:
        key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
        return cls(name, key, _signed(name, key, name, key).public_bytes(Encoding.PEM))


def _signed(subject: x509.Name, key: ec.EllipticCurvePrivateKey, issuer: x509.Name,
            signer: ec.EllipticCurvePrivateKey) -> x509.Certificate:
    now = datetime.now(UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(subject).issuer_name(issuer).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5)).not_valid_after(now + timedelta(days=365))
        .sign(signer, hashes.SHA256())
    )
