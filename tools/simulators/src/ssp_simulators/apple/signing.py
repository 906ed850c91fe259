"""A simulated device's identity: a self-signed RSA certificate that signs every body.

Real devices get their identity from SCEP/ACME; self-signed is enough for a server that pins
the certificate seen at Authenticate (add a CA to the server only for real fleets).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs7
from cryptography.x509.oid import NameOID

SIGNATURE_HEADER = "Mdm-Signature"


@dataclass(frozen=True)
class DeviceCertificate:
    key: rsa.RSAPrivateKey
    certificate: x509.Certificate

    @classmethod
    def create(cls, common_name: str, *, valid_days: int = 365) -> DeviceCertificate:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
        now = datetime.now(UTC)
        certificate = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(minutes=5))  # tolerate a server clock behind ours
            .not_valid_after(now + timedelta(days=valid_days))
            .sign(key, hashes.SHA256())
        )
        return cls(key, certificate)

    def sign(self, body: bytes) -> str:
        """The `Mdm-Signature` value: base64 DER CMS SignedData, detached, signer cert included."""
        signature = (
            pkcs7.PKCS7SignatureBuilder()
            .set_data(body)
            .add_signer(self.certificate, self.key, hashes.SHA256())
            # Binary: without it line endings are canonicalised and the digest misses the body.
            .sign(
                serialization.Encoding.DER,
                [pkcs7.PKCS7Options.DetachedSignature, pkcs7.PKCS7Options.Binary],
            )
        )
        return base64.b64encode(signature).decode("ascii")
