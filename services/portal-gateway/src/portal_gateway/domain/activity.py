"""A device's activity as people read it: who did what, when, and how it ended.

Built from the audit trail (`ssp.audit` records that name the device) and, for a command,
the command's latest status from the command projection (the audit record says it was
authorized or refused; the projection says whether the device then did it).

What a device's owner sees: their own actions on it, the records about them (its link to
them), and everything done on it since it was linked to them, whoever did it: an admin's
lock or link on your device is yours to know, named as the admin is named in the org. Not
what happened before the link (a previous owner's requests are theirs), and never the audit
record's free-text detail (it holds the policy's wording and import or reservation ids meant
for administrators). An admin of the org sees every entry of any device, with the detail.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field
from ssp_contracts.audit import AuditOutcome, AuditRecord
from ssp_contracts.enums import Action, CommandStatus

from portal_gateway.domain.command_view import CommandPublic

ActorKind = Literal["you", "user", "system"]


class ActorPublic(BaseModel):
    kind: ActorKind = Field(description="you (the caller), user (another account of the org) "
                            "or system (a service acting on its own account)")
    name: str | None = Field(None, description="A user's display name or username; none for "
                             "the caller, the system or an account no longer known")


class ActivityEntry(BaseModel):
    id: str = Field(description="The audit record's id")
    at: datetime = Field(description="When it happened")
    actor: ActorPublic
    action: str = Field(description="What happened, as the audit trail names it "
                        "(authorized_command, rejected_command, linked_device, ...)")
    outcome: AuditOutcome = Field(description="succeeded, rejected by a rule, or failed")
    command_id: str | None = None
    command_action: Action | None = Field(None, description="The command's action, if known")
    command_status: CommandStatus | None = Field(
        None, description="The command's latest status, if known (acknowledged: done)")
    reason: str | None = Field(None, description="Why a command was refused or failed")
    concerns: ActorPublic | None = Field(
        None, description="The user a link or unlink concerns, if any")
    detail: str | None = Field(None, description="The audit record's detail (admins only)")


class ActivityPage(BaseModel):
    items: list[ActivityEntry]
    page: int
    page_size: int
    has_next: bool


def actor_of(user_or_system: str | None, viewer_id: str,
             names: Mapping[str, str]) -> ActorPublic | None:
    if user_or_system is None:
        return None
    if user_or_system == viewer_id:
        return ActorPublic(kind="you")
    if user_or_system.startswith("system:"):
        return ActorPublic(kind="system")
    return ActorPublic(kind="user", name=names.get(user_or_system))


def activity_entry(record: AuditRecord, command: CommandPublic | None, viewer_id: str,
                   names: Mapping[str, str], *, admin_view: bool) -> ActivityEntry:
    """One entry; `names`: user id -> name, for users of the viewer's org only."""
    return ActivityEntry(
        id=record.audit_id, at=record.occurred_at,
        actor=actor_of(record.actor, viewer_id, names) or ActorPublic(kind="system"),
        action=record.action, outcome=record.outcome, command_id=record.command_id,
        command_action=command.action if command else None,
        command_status=command.status if command else None,
        reason=command.reason if command else None,
        concerns=actor_of(record.user_id, viewer_id, names),
        detail=record.detail if admin_view else None)
