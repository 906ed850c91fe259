"""Which device is talking: the client certificate a TLS proxy forwards, believed only when
the proxy forwarded it.

The proxy terminates mutual TLS (so the device proved it holds the key) and sends the
certificate URL-encoded in a header. Anyone can write that header, so it counts only when the
TCP peer is a configured trusted proxy, which must strip a client-sent copy; from any other
peer it is ignored. The certificate must chain to the configured device CA and name the
device: its subject CN is the DeviceID it was issued to (MS-MDE2 enrollment), so a valid
certificate of one device never opens a session as another. Demo mode may leave out the
proxies (any peer) and the CA (any certificate, pinned at the first session), with a warning.
"""

from __future__ import annotations

import hashlib
import ipaddress
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import unquote

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID

from command_dispatcher.windows.errors import IdentityError

DEFAULT_CERT_HEADER = "X-SSP-Client-Cert"
_MAX_HEADER_CHARS = 16 * 1024  # a device certificate is 1-2 KiB; refuse anything near a DoS
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class WindowsTrust:
    """Where a client certificate may come from and who may have issued it."""

    proxies: tuple[Network, ...] = ()  # peers whose header counts
    ca_certificates: tuple[x509.Certificate, ...] = ()  # issuers of device certificates
    any_peer: bool = False  # demo mode without proxies: the header counts from anyone

    @classmethod
    def configured(cls, proxies: Iterable[str], ca_certificates: Sequence[x509.Certificate],
                   *, demo: bool) -> WindowsTrust:
        networks = tuple(ipaddress.ip_network(p.strip(), strict=False)
                         for p in proxies if p.strip())
        return cls(networks, tuple(ca_certificates), any_peer=demo and not networks)

    def from_proxy(self, peer: str | None) -> bool:
        if self.any_peer:
            return True
        try:
            address = ipaddress.ip_address(peer or "")
        except ValueError:
            return False
        return any(address in network for network in self.proxies)


@dataclass(frozen=True)
class ClientCertificate:
    certificate: x509.Certificate
    fingerprint: str  # SHA-256 of the DER certificate, lowercase hex


def client_certificate(header_value: str | None, peer: str | None,
                       trust: WindowsTrust, *, now: datetime | None = None) -> ClientCertificate:
    """The certificate the proxy forwarded, checked against the device CA."""
    if not trust.from_proxy(peer):
        # Ignored, as if absent: only the TLS proxy may say which certificate a device holds.
        raise IdentityError("identity.no_certificate", "no client certificate from a proxy")
    if not header_value:
        raise IdentityError("identity.no_certificate", "no client certificate was forwarded")
    if len(header_value) > _MAX_HEADER_CHARS:
        raise IdentityError("identity.certificate_too_large", "client certificate header too large")
    try:
        certificate = x509.load_pem_x509_certificate(unquote(header_value).encode("ascii"))
    except (ValueError, UnicodeEncodeError) as exc:
        raise IdentityError("identity.bad_certificate", "not a PEM certificate") from exc
    if trust.ca_certificates:
        _check_issuer(certificate, trust.ca_certificates, now or datetime.now(UTC))
    return ClientCertificate(certificate,
                             hashlib.sha256(certificate.public_bytes(Encoding.DER)).hexdigest())


def check_bound_to(client: ClientCertificate, dev_id: str, trust: WindowsTrust) -> None:
    """A CA-issued certificate names its device: its subject CN must be this DeviceID."""
    if not trust.ca_certificates:
        return  # demo without a CA: the first session pins whatever certificate it shows
    names = client.certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    if [str(n.value) for n in names] != [dev_id]:
        raise IdentityError("identity.other_device",
                            "the client certificate was issued to another device")


def _check_issuer(certificate: x509.Certificate, cas: Sequence[x509.Certificate],
                  now: datetime) -> None:
    if not certificate.not_valid_before_utc <= now <= certificate.not_valid_after_utc:
        raise IdentityError("identity.expired", "the client certificate is not valid now")
    for ca in cas:
        try:
            certificate.verify_directly_issued_by(ca)
            return
        except (ValueError, TypeError, InvalidSignature):  # other issuer, key type, signature
            continue
    raise IdentityError("identity.untrusted_issuer", "no trusted CA issued the certificate")
