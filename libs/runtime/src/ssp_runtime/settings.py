"""Settings every service shares. Values come from the environment (prefix `SSP_`), except the
two connection strings, which use the names operators already know."""

from __future__ import annotations

import socket
import uuid
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, model_validator
from pydantic_settings import SettingsConfigDict

from ssp_runtime.kafka_auth import KafkaClientSettings

# Secrets that must never reach production; refused outside demo mode.
PLACEHOLDER_SECRETS = frozenset({"", "changeme", "change-me", "secret", "password", "demo"})


class ServiceSettings(KafkaClientSettings):
    # An empty variable counts as unset: compose and Helm pass optional secrets as "".
    model_config = SettingsConfigDict(env_prefix="SSP_", extra="ignore", populate_by_name=True,
                                      env_ignore_empty=True)

    kafka_bootstrap_servers: str = Field(
        "127.0.0.1:9092",
        validation_alias=AliasChoices("KAFKA_BOOTSTRAP_SERVERS", "SSP_KAFKA_BOOTSTRAP_SERVERS"),
        description="Comma-separated Kafka bootstrap servers",
    )
    mongodb_url: SecretStr = Field(
        SecretStr("mongodb://127.0.0.1:27017/"),
        validation_alias=AliasChoices("MONGODB_URL", "SSP_MONGODB_URL"),
        description="MongoDB connection string (may hold credentials: never logged)",
    )
    mongodb_database: str = Field("", description="Database name; defaults to ssp_<service>")
    mongodb_serialize_writes: bool = Field(
        True, description="Serialise this process's updates per collection (FerretDB v1 can "
        "lose concurrent updates of one document; MongoDB needs no such care)")
    http_host: str = Field("127.0.0.1", description="Address of health/metrics HTTP")
    http_port: int = Field(0, description="Port of health/metrics HTTP; 0 = service default")
    instance_id: str = Field(
        default_factory=lambda: f"{socket.gethostname()}-{uuid.uuid4().hex[:8]}",
        description="Unique per process; names this instance in heartbeats and metrics",
    )
    event_loop: Literal["auto", "asyncio", "uvloop"] = Field(
        "auto", description="Event loop of the process: uvloop when installed (auto) or "
        "asyncio's own")
    log_level: str = Field("INFO", description="DEBUG, INFO, WARNING or ERROR")
    log_json: bool = Field(True, description="One JSON object per log line")
    demo_mode: bool = Field(False, description="Seed demo data and allow demo secrets")
    topic_partitions: int = Field(0, description="Override partition counts (0 = per topic)")
    topic_replication_factor: int = Field(1, ge=1, description="Replicas of created topics")
    create_topics: bool = Field(True, description="Create missing topics at start-up")
    heartbeat_interval_s: float = Field(10.0, gt=0, description="Heartbeat period")
    consumer_retries: int = Field(3, ge=0, description="Retries of a failing message before DLQ")
    retry_backoff_s: float = Field(0.2, ge=0, description="First retry delay; doubles each time")
    outbox_poll_s: float = Field(
        30.0, gt=0, description="Safety-net sweep of unpublished outbox events (kicks and "
        "retries publish at once; the sweep scans collections, so keep it rare)")
    rpc_timeout_s: float = Field(10.0, gt=0, description="Request/reply timeout")
    otel_endpoint: str = Field(
        "", validation_alias=AliasChoices("OTEL_EXPORTER_OTLP_ENDPOINT", "SSP_OTEL_ENDPOINT"),
        description="OTLP/HTTP collector base URL (spans go to <url>/v1/traces); empty = "
        "tracing off")
    consumer_lag_interval_s: float = Field(
        30.0, ge=0, description="How often the lag of this service's consumer groups is asked "
        "of the broker for the ssp_consumer_lag metric (0 = never)")

    def database_name(self, service: str) -> str:
        return self.mongodb_database or f"ssp_{service.replace('-', '_')}"

    def require_secret(self, name: str, value: SecretStr | None) -> None:
        """Refuse a missing or placeholder secret unless in demo mode."""
        if self.demo_mode:
            return
        if value is None or value.get_secret_value().strip().lower() in PLACEHOLDER_SECRETS:
            raise ValueError(f"{name} must be set to a real secret outside demo mode")

    @model_validator(mode="after")
    def _level(self) -> ServiceSettings:
        self.log_level = self.log_level.upper()
        return self
