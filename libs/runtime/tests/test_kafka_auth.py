"""Every Kafka client's credentials come from one set of settings (`ssp_runtime.kafka_auth`)."""

import ssl
from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from faststream.security import SASLScram512
from prometheus_client import CollectorRegistry
from pydantic import ValidationError
from ssp_runtime.kafka import make_broker
from ssp_runtime.kafka_auth import KafkaClientSettings, kafka_options
from ssp_runtime.settings import ServiceSettings

KAFKA_VARS = ("KAFKA_SECURITY_PROTOCOL", "KAFKA_SASL_MECHANISM", "KAFKA_SASL_USERNAME",
              "KAFKA_SASL_PASSWORD", "KAFKA_SSL_CA_FILE", "KAFKA_SSL_CERT_FILE",
              "KAFKA_SSL_KEY_FILE")


@pytest.fixture(autouse=True)
def no_kafka_environment(monkeypatch):
    for name in KAFKA_VARS:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(f"SSP_{name}", raising=False)


def test_without_settings_a_client_speaks_plaintext_to_a_plain_broker():
    assert kafka_options() == {"security_protocol": "PLAINTEXT"}
    assert KafkaClientSettings().faststream_security() is None


def test_a_username_means_sasl_with_scram_sha_512(monkeypatch):
    monkeypatch.setenv("KAFKA_SASL_USERNAME", "portal-gateway")
    monkeypatch.setenv("KAFKA_SASL_PASSWORD", "s3cret-value")
    assert kafka_options() == {
        "security_protocol": "SASL_PLAINTEXT", "sasl_mechanism": "SCRAM-SHA-512",
        "sasl_plain_username": "portal-gateway", "sasl_plain_password": "s3cret-value"}
    settings = ServiceSettings()
    assert "s3cret-value" not in repr(settings) and "s3cret-value" not in str(
        settings.model_dump())
    security = settings.faststream_security()
    assert isinstance(security, SASLScram512) and not security.use_ssl
    broker = make_broker(settings, "portal-gateway", CollectorRegistry())
    assert broker._connection_kwargs["sasl_plain_username"] == "portal-gateway"
    assert broker._connection_kwargs["security_protocol"] == "SASL_PLAINTEXT"


def self_signed_ca() -> bytes:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test kafka ca")])
    now = datetime.now(UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now).not_valid_after(now + timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    return cert.public_bytes(serialization.Encoding.PEM)


def test_a_ca_file_means_tls(monkeypatch, tmp_path):
    ca = tmp_path / "ca.pem"
    ca.write_bytes(self_signed_ca())
    monkeypatch.setenv("KAFKA_SSL_CA_FILE", str(ca))
    monkeypatch.setenv("KAFKA_SASL_USERNAME", "integrator")
    monkeypatch.setenv("KAFKA_SASL_PASSWORD", "another-value")
    options = kafka_options()
    assert options["security_protocol"] == "SASL_SSL"
    assert isinstance(options["ssl_context"], ssl.SSLContext)
    assert options["ssl_context"].verify_mode == ssl.CERT_REQUIRED


def test_half_a_credential_is_refused():
    with pytest.raises(ValidationError, match="go together"):
        KafkaClientSettings(kafka_sasl_username="portal-gateway")
    with pytest.raises(ValidationError, match="needs"):
        KafkaClientSettings(kafka_security_protocol="SASL_SSL")
    with pytest.raises(ValidationError, match="go together"):
        KafkaClientSettings(kafka_ssl_cert_file="client.pem")
