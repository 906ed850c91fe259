"""Verifying a detached CMS SignedData (the `Mdm-Signature` header) against the raw body.

`cryptography` creates PKCS#7 but cannot verify it, so asn1crypto parses the structure and
`cryptography` checks the digest and the signature.
"""

from __future__ import annotations

import hashlib
import hmac

from asn1crypto import cms
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from command_dispatcher.apple.errors import IdentityError

# Devices pick the digest; SHA-1 stays accepted for older OS versions that still sign with it.
_HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "sha1": hashes.SHA1,
    "sha256": hashes.SHA256,
    "sha384": hashes.SHA384,
    "sha512": hashes.SHA512,
}


def _signer_certificate(signed_data: cms.SignedData, signer: cms.SignerInfo) -> x509.Certificate:
    sid = signer["sid"]
    for choice in signed_data["certificates"] or []:
        if choice.name != "certificate":
            continue
        cert = choice.chosen
        if sid.name == "issuer_and_serial_number":
            matches = (
                cert.issuer == sid.chosen["issuer"]
                and cert.serial_number == sid.chosen["serial_number"].native
            )
        else:
            matches = cert.key_identifier == sid.chosen.native
        if matches:
            return x509.load_der_x509_certificate(cert.dump())
    raise IdentityError(
        "identity.no_signer_certificate", "the signer's certificate is not included"
    )


def _signed_bytes(signer: cms.SignerInfo, body: bytes, hash_name: str) -> bytes:
    """What the signature covers: the signed attributes if present, else the body itself."""
    attrs = signer["signed_attrs"]
    if not attrs:
        return body
    digests = [a["values"][0].native for a in attrs if a["type"].native == "message_digest"]
    expected = hashlib.new(hash_name, body).digest()
    if len(digests) != 1 or not hmac.compare_digest(digests[0], expected):
        raise IdentityError("identity.digest_mismatch", "the signature does not cover this body")
    # Signed over the attributes' DER as a SET OF (tag 0x31), not as the [0] IMPLICIT on the wire.
    der = attrs.dump()
    return b"\x31" + der[1:]


def _verify_signature(
    cert: x509.Certificate, signature: bytes, data: bytes, algorithm: hashes.HashAlgorithm
) -> None:
    key = cert.public_key()
    try:
        if isinstance(key, rsa.RSAPublicKey):
            key.verify(signature, data, padding.PKCS1v15(), algorithm)
        elif isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(signature, data, ec.ECDSA(algorithm))
        else:
            raise IdentityError("identity.unsupported_key", f"unsupported key {type(key).__name__}")
    except InvalidSignature as exc:
        raise IdentityError("identity.bad_signature", "the signature does not verify") from exc


def verify_detached(signature_der: bytes, body: bytes) -> x509.Certificate:
    """Check that `signature_der` signs `body`; return the included signer certificate."""
    try:
        info = cms.ContentInfo.load(signature_der)
        if info["content_type"].native != "signed_data":
            raise IdentityError("identity.not_signed_data", "the signature is not CMS SignedData")
        signed_data = info["content"]
        signers = signed_data["signer_infos"]
        if len(signers) != 1:
            raise IdentityError("identity.signer_count", "exactly one signer is expected")
        signer = signers[0]
        embedded = signed_data["encap_content_info"]["content"].native
        if embedded is not None and embedded != body:  # detached is normal; embedded must match
            raise IdentityError("identity.content_mismatch", "the signed content is another body")
        hash_name = signer["digest_algorithm"]["algorithm"].native
        if hash_name not in _HASHES:
            raise IdentityError("identity.unsupported_digest", f"digest {hash_name} not accepted")
        cert = _signer_certificate(signed_data, signer)
        data = _signed_bytes(signer, body, hash_name)
        signature = signer["signature"].native
    except IdentityError:
        raise
    # asn1crypto parses lazily, so a malformed structure surfaces as any of these on access.
    except (ValueError, TypeError, KeyError, IndexError, AttributeError) as exc:
        raise IdentityError(
            "identity.malformed_signature", "the signature is not valid CMS"
        ) from exc
    _verify_signature(cert, signature, data, _HASHES[hash_name]())
    return cert
