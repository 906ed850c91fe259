"""Every Kafka topic of the system, with the partitions and cleanup policy it is created with."""

from __future__ import annotations

from dataclasses import dataclass, field

from ssp_contracts.enums import PlatformFamily

DAY_MS = 24 * 60 * 60 * 1000


@dataclass(frozen=True)
class TopicSpec:
    name: str
    partitions: int = 6
    compact: bool = False
    retention_ms: int | None = 7 * DAY_MS
    description: str = ""
    config: dict[str, str] = field(default_factory=dict)

    @property
    def dlq(self) -> str:
        return dlq_name(self.name)

    def kafka_config(self) -> dict[str, str]:
        cfg = {"cleanup.policy": "compact" if self.compact else "delete"}
        if self.retention_ms is not None and not self.compact:
            cfg["retention.ms"] = str(self.retention_ms)
        cfg.update(self.config)
        return cfg


def dlq_name(topic: str) -> str:
    return f"{topic}.dlq"


COMMANDS_REQUESTED = "ssp.commands.requested"
COMMANDS_APPLE = "ssp.commands.apple"
COMMANDS_ANDROID = "ssp.commands.android"
COMMANDS_WINDOWS = "ssp.commands.windows"
COMMANDS_STATUS = "ssp.commands.status"
DEVICES = "ssp.devices"
DEVICES_REPORTS = "ssp.devices.reports"
LINKS_REQUESTS = "ssp.links.requests"
IMPORTS_STATUS = "ssp.imports.status"
ACCESS = "ssp.access"
AUDIT = "ssp.audit"
HEARTBEATS = "ssp.heartbeats"
SESSIONS = "ssp.sessions"
RPC_AUTH_VERIFY = "ssp.rpc.auth.verify"
RPC_AUTH_REVERIFY = "ssp.rpc.auth.reverify"
RPC_ADMIN = "ssp.rpc.admin"
RPC_REGISTRY = "ssp.rpc.registry"


def rpc_replies(service: str) -> str:
    """The reply topic of one requesting service; every instance reads all of it."""
    return f"ssp.rpc.replies.{service}"


_SHORT_SEGMENTS = {"segment.ms": str(60 * 1000)}

COMMAND_TOPIC_BY_FAMILY: dict[PlatformFamily, str] = {
    PlatformFamily.APPLE: COMMANDS_APPLE,
    PlatformFamily.ANDROID: COMMANDS_ANDROID,
    PlatformFamily.WINDOWS: COMMANDS_WINDOWS,
}

TOPICS: dict[str, TopicSpec] = {
    t.name: t
    for t in (
        TopicSpec(COMMANDS_REQUESTED, description="CommandRequested and CommandCancelRequested, "
                  "keyed by device id"),
        TopicSpec(COMMANDS_APPLE, description="CommandAuthorized and CommandCancelRequested "
                  "for Apple devices, keyed by device id"),
        TopicSpec(COMMANDS_ANDROID, description="CommandAuthorized and CommandCancelRequested "
                  "for Android devices, keyed by device id"),
        TopicSpec(COMMANDS_WINDOWS, description="CommandAuthorized and CommandCancelRequested "
                  "for Windows devices, keyed by device id"),
        TopicSpec(COMMANDS_STATUS, description="CommandStatusChanged, keyed by device id"),
        TopicSpec(DEVICES, compact=True, retention_ms=None,
                  description="DeviceSnapshot (compacted; null value = device deleted)"),
        TopicSpec(DEVICES_REPORTS, description="DeviceReported from platform endpoints"),
        TopicSpec(LINKS_REQUESTS, description="LinkRequested and ImportRowsSubmitted"),
        TopicSpec(IMPORTS_STATUS, description="ImportProgress, keyed by import id"),
        TopicSpec(ACCESS, compact=True, retention_ms=None,
                  description="UserAccess (compacted), keyed by user id"),
        TopicSpec(AUDIT, retention_ms=365 * DAY_MS, description="AuditRecord, keyed by org id"),
        TopicSpec(SESSIONS, partitions=3, retention_ms=DAY_MS,
                  description="SessionEnded: portal sign-outs every gateway instance applies "
                              "at once, keyed by user id"),
        TopicSpec(HEARTBEATS, partitions=1, retention_ms=DAY_MS,
                  description="ServiceHeartbeat: which service instances are alive"),
        # Credentials pass here: keep them minutes, not days.
        TopicSpec(RPC_AUTH_VERIFY, partitions=3, retention_ms=5 * 60 * 1000,
                  description="VerifyCredentials requests", config=_SHORT_SEGMENTS),
        TopicSpec(RPC_AUTH_REVERIFY, partitions=3, retention_ms=5 * 60 * 1000,
                  description="Step-up re-authentication requests", config=_SHORT_SEGMENTS),
        TopicSpec(RPC_ADMIN, partitions=3, retention_ms=DAY_MS,
                  description="Administrative requests (accounts, roles, grants)"),
        TopicSpec(RPC_REGISTRY, partitions=3, retention_ms=DAY_MS,
                  description="Reservation requests to the device-registry"),
    )
}


def spec_for(topic: str) -> TopicSpec:
    """The spec of a known topic, its DLQ, or a reply topic."""
    if topic in TOPICS:
        return TOPICS[topic]
    if topic.endswith(".dlq") and topic[:-4] in TOPICS:
        base = TOPICS[topic[:-4]]
        return TopicSpec(topic, partitions=base.partitions, retention_ms=30 * DAY_MS,
                         description=f"dead letters of {base.name}")
    if topic.startswith("ssp.rpc.replies."):
        return TopicSpec(topic, partitions=3, retention_ms=60 * 60 * 1000,
                         description="request/reply answers")
    raise KeyError(f"unknown topic {topic!r}: add it to ssp_contracts.topics")
