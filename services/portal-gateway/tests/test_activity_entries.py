"""One activity entry from an audit record (domain/activity.py): who, what, how it ended, and
the detail only in an admin's view."""

from __future__ import annotations

from datetime import UTC, datetime

from portal_gateway.domain.activity import activity_entry
from portal_gateway.domain.command_view import CommandPublic
from ssp_contracts.audit import AuditRecord
from ssp_contracts.enums import Action, CommandStatus

AT = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def record(actor: str, **fields: object) -> AuditRecord:
    return AuditRecord(org_id="acme", audit_id="a-1", actor=actor,
                       action=fields.pop("action", "authorized_command"),  # type: ignore[arg-type]
                       outcome="succeeded", device_id="d-1", occurred_at=AT,
                       detail="lock (portal): allowed: ok", **fields)  # type: ignore[arg-type]


def test_the_owner_sees_the_command_and_its_result_without_the_detail():
    command = CommandPublic(command_id="c-1", device_id="d-1", action=Action.LOCK,
                            status=CommandStatus.FAILED, requested_by="u-admin",
                            reason="The device did not answer.")
    entry = activity_entry(record("u-admin", command_id="c-1"), command, "u-owner",
                           {"u-admin": "Ada Admin"}, admin_view=False)
    assert entry.actor.model_dump() == {"kind": "user", "name": "Ada Admin"}
    assert (entry.command_action, entry.command_status) == (Action.LOCK, CommandStatus.FAILED)
    assert entry.reason == "The device did not answer."
    assert entry.detail is None


def test_an_admin_sees_the_detail_you_the_system_and_an_unknown_account():
    admin = activity_entry(record("u-admin"), None, "u-admin", {}, admin_view=True)
    assert admin.actor.kind == "you" and admin.detail == "lock (portal): allowed: ok"
    system = activity_entry(record("system:device-registry", action="unlinked_device",
                                   user_id="u-gone"), None, "u-admin", {}, admin_view=True)
    assert system.actor.model_dump() == {"kind": "system", "name": None}
    assert system.concerns is not None
    assert system.concerns.model_dump() == {"kind": "user", "name": None}  # not in the org
    assert system.command_action is None and system.command_status is None
