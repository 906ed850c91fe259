"""A simulated device's identity: an RSA certificate that signs every body.

Real devices get their identity from SCEP/ACME, issued by the organisation's enrollment CA;
a simulated one is self-signed (enough for a demo-mode server, which pins the certificate seen
at Authenticate) or issued by a simulated CA (`authority`), as a server outside demo mode needs.
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
    def create(cls, common_name: str, *, valid_days: int = 365,
               issuer: DeviceCertificate | None = None) -> DeviceCertificate:
        """A device identity, self-signed, or issued by `issuer` (an `authority`)."""
        return cls._make(common_name, valid_days, issuer, ca=False)

    @classmethod
    def authority(cls, common_name: str, *, valid_days: int = 365) -> DeviceCertificate:
        """An enrollment CA; its `pem()` is what the server's SSP_IDENTITY_CA_FILE holds."""
        return cls._make(common_name, valid_days, None, ca=True)

    @classmethod
    def _make(cls, common_name: str, valid_days: int, issuer: DeviceCertificate | None, *,
              ca: bool) -> DeviceCertificate:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
        now = datetime.now(UTC)
        certificate = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(issuer.certificate.subject if issuer else name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(minutes=5))  # tolerate a server clock behind ours
            .not_valid_after(now + timedelta(days=valid_days))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
            .sign(issuer.key if issuer else key, hashes.SHA256())
        )
        return cls(key, certificate)

    def pem(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.PEM)

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
