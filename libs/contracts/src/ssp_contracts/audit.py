"""Audit trail and service liveness."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar, Literal

from pydantic import Field

from ssp_contracts.base import EntityId, Event


def system_actor(service: str) -> str:
    """The actor (or requester) of what a service does on its own account: never a user id."""
    return f"system:{service}"


# The requester of commands the dispatcher queues itself (a device's session asked for them).
SYSTEM_REQUESTER = system_actor("command-dispatcher")


class AuditRecord(Event):
    event_type: ClassVar[str] = "ssp.audit.record.v1"

    audit_id: EntityId
    actor: str = Field(description="User id, or 'system:<service>'")
    action: str = Field(description="Past tense, e.g. locked_device, granted_role")
    outcome: Literal["succeeded", "rejected", "failed"]
    device_id: EntityId | None = None
    user_id: EntityId | None = None
    command_id: EntityId | None = None
    detail: str | None = Field(None, max_length=2000)
    occurred_at: datetime

    def subject(self) -> str:
        return self.org_id


class ServiceHeartbeat(Event):
    """Published periodically by every service instance; proves the wiring end to end."""

    event_type: ClassVar[str] = "ssp.service.heartbeat.v1"

    service: str
    instance_id: str
    version: str
    started_at: datetime
    sent_at: datetime

    def subject(self) -> str:
        return f"{self.service}/{self.instance_id}"
