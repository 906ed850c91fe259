"""How every Kafka client of the system proves who it is: SASL (SCRAM or PLAIN) and/or TLS.

Kafka is the trust boundary between the services: whoever may write `ssp.commands.<family>`
can send a command to a device. So the broker authenticates each client and its ACLs decide
what that principal may do (`ssp_runtime.kafka_acls`). The settings below are read from the
environment by every service, tool and test; `kafka_options()` turns them into the keyword
arguments of any aiokafka client, `faststream_security()` into FastStream's.

With none of them set a client speaks PLAINTEXT, so a broker without authentication (an
existing deployment, a `KAFKA_BOOTSTRAP_SERVERS` given by hand) keeps working.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from aiokafka.helpers import create_ssl_context
from faststream.security import (
    BaseSecurity,
    SASLPlaintext,
    SASLScram256,
    SASLScram512,
)
from pydantic import AliasChoices, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

KafkaOptions = Mapping[str, Any]
Protocol = Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"]
_SASL_CLASSES = {"SCRAM-SHA-512": SASLScram512, "SCRAM-SHA-256": SASLScram256,
                 "PLAIN": SASLPlaintext}


def _env(name: str) -> AliasChoices:
    """Operators know these by their Kafka names; the SSP_ spelling works too."""
    return AliasChoices(name, f"SSP_{name}")


class KafkaClientSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SSP_", extra="ignore", populate_by_name=True,
                                      env_ignore_empty=True)

    kafka_security_protocol: Protocol | None = Field(
        None, validation_alias=_env("KAFKA_SECURITY_PROTOCOL"),
        description="PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL; unset = SASL_* when a SASL "
        "username is set, *_SSL when a CA file is set")
    kafka_sasl_mechanism: Literal["SCRAM-SHA-512", "SCRAM-SHA-256", "PLAIN"] = Field(
        "SCRAM-SHA-512", validation_alias=_env("KAFKA_SASL_MECHANISM"),
        description="SASL mechanism (PLAIN only over SSL)")
    kafka_sasl_username: str = Field(
        "", validation_alias=_env("KAFKA_SASL_USERNAME"),
        description="This service's Kafka principal; each service has its own (ACLs)")
    kafka_sasl_password: SecretStr | None = Field(
        None, validation_alias=_env("KAFKA_SASL_PASSWORD"),
        description="Password of the Kafka principal (a secret: never logged)")
    kafka_ssl_ca_file: str = Field(
        "", validation_alias=_env("KAFKA_SSL_CA_FILE"),
        description="PEM file of the CA that signed the brokers' certificates")
    kafka_ssl_cert_file: str = Field(
        "", validation_alias=_env("KAFKA_SSL_CERT_FILE"),
        description="PEM client certificate, for brokers that authenticate clients by TLS")
    kafka_ssl_key_file: str = Field(
        "", validation_alias=_env("KAFKA_SSL_KEY_FILE"),
        description="PEM private key of the client certificate")

    @model_validator(mode="after")
    def _complete(self) -> KafkaClientSettings:
        if bool(self.kafka_sasl_username) != (self.kafka_sasl_password is not None):
            raise ValueError("KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD go together")
        if self.kafka_security_protocol and self.kafka_security_protocol.startswith("SASL") \
                and not self.kafka_sasl_username:
            raise ValueError(f"KAFKA_SECURITY_PROTOCOL={self.kafka_security_protocol} needs "
                             "KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD")
        if bool(self.kafka_ssl_cert_file) != bool(self.kafka_ssl_key_file):
            raise ValueError("KAFKA_SSL_CERT_FILE and KAFKA_SSL_KEY_FILE go together")
        return self

    def kafka_protocol(self) -> Protocol:
        if self.kafka_security_protocol:
            return self.kafka_security_protocol
        tls = bool(self.kafka_ssl_ca_file or self.kafka_ssl_cert_file)
        if self.kafka_sasl_username:
            return "SASL_SSL" if tls else "SASL_PLAINTEXT"
        return "SSL" if tls else "PLAINTEXT"

    def kafka_options(self) -> dict[str, Any]:
        """Keyword arguments for AIOKafkaProducer, AIOKafkaConsumer and AIOKafkaAdminClient."""
        protocol = self.kafka_protocol()
        options: dict[str, Any] = {"security_protocol": protocol}
        if protocol.endswith("SSL"):
            options["ssl_context"] = self._ssl_context()
        if protocol.startswith("SASL"):
            assert self.kafka_sasl_password is not None  # the validator saw to it
            options.update(sasl_mechanism=self.kafka_sasl_mechanism,
                           sasl_plain_username=self.kafka_sasl_username,
                           sasl_plain_password=self.kafka_sasl_password.get_secret_value())
        return options

    def faststream_security(self) -> BaseSecurity | None:
        """The same, in the form FastStream's KafkaBroker takes."""
        protocol = self.kafka_protocol()
        tls = protocol.endswith("SSL")
        context = self._ssl_context() if tls else None
        if protocol.startswith("SASL"):
            assert self.kafka_sasl_password is not None
            cls = _SASL_CLASSES[self.kafka_sasl_mechanism]
            return cls(self.kafka_sasl_username, self.kafka_sasl_password.get_secret_value(),
                       ssl_context=context, use_ssl=tls)
        return BaseSecurity(ssl_context=context, use_ssl=True) if tls else None

    def _ssl_context(self) -> Any:
        return create_ssl_context(cafile=self.kafka_ssl_ca_file or None,
                                  certfile=self.kafka_ssl_cert_file or None,
                                  keyfile=self.kafka_ssl_key_file or None)


def kafka_options() -> dict[str, Any]:
    """The aiokafka keyword arguments the environment describes: for tools and tests, which
    have no settings object of their own (a service uses its settings' `kafka_options()`)."""
    return KafkaClientSettings().kafka_options()


def with_defaults(options: KafkaOptions | None) -> KafkaOptions:
    """`options`, or the environment's when the caller passed none."""
    return kafka_options() if options is None else options
