"""Which topic each event this service emits goes to (the outbox needs it when a change is
stored, long before anything is published)."""

from __future__ import annotations

from ssp_contracts.access import UserAccess
from ssp_contracts.audit import AuditRecord
from ssp_contracts.base import Event
from ssp_contracts.capabilities import FAMILY_OF_PLATFORM
from ssp_contracts.commands import CommandAuthorized, CommandStatusChanged
from ssp_contracts.topics import ACCESS, AUDIT, COMMAND_TOPIC_BY_FAMILY, COMMANDS_STATUS

PRODUCED_TOPICS = (ACCESS, AUDIT, COMMANDS_STATUS, *COMMAND_TOPIC_BY_FAMILY.values())


def topic_for(event: Event) -> str:
    if isinstance(event, UserAccess):
        return ACCESS
    if isinstance(event, AuditRecord):
        return AUDIT
    if isinstance(event, CommandStatusChanged):
        return COMMANDS_STATUS
    if isinstance(event, CommandAuthorized):
        # One topic per platform family, so each dispatcher group scales on its own.
        return COMMAND_TOPIC_BY_FAMILY[FAMILY_OF_PLATFORM[event.platform]]
    raise TypeError(f"no topic for {type(event).__name__}")
