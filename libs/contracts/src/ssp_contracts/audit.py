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


AuditOutcome = Literal["succeeded", "rejected", "failed"]


class AuditRecord(Event):
    event_type: ClassVar[str] = "ssp.audit.record.v1"

    audit_id: EntityId
    actor: str = Field(description="User id, or 'system:<service>'")
    action: str = Field(description="Past tense, e.g. locked_device, granted_role")
    outcome: AuditOutcome = Field(
        description="succeeded, rejected by a rule, or failed on the way")
    device_id: EntityId | None = Field(None, description="The device it concerns, if any")
    user_id: EntityId | None = Field(
        None, description="The user it concerns (not the actor), if any")
    command_id: EntityId | None = Field(None, description="The command it concerns, if any")
    detail: str | None = Field(None, max_length=2000,
                               description="Explanation for people; never a secret")
    occurred_at: datetime = Field(description="When it happened")

    def subject(self) -> str:
        return self.org_id


class ServiceHeartbeat(Event):
    """Published periodically by every service instance; proves the wiring end to end."""

    event_type: ClassVar[str] = "ssp.service.heartbeat.v1"

    service: str = Field(description="Service name, e.g. device-registry")
    instance_id: str = Field(description="The sending process (SSP_INSTANCE_ID)")
    version: str = Field(description="Version of the code the process runs")
    started_at: datetime = Field(description="When the process started")
    sent_at: datetime = Field(description="When this heartbeat was sent")

    def subject(self) -> str:
        return f"{self.service}/{self.instance_id}"
