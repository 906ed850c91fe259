"""Portal sessions as the gateway's instances share them: only their end travels. A session
starts on one instance and another reads it from the database on its first use; from then on
each instance answers from memory, so an end must reach every instance at once."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from ssp_contracts.base import EntityId, Event


class SessionEnded(Event):
    """A portal session ended (sign-out, a new session id after step-up or a new login)."""

    event_type: ClassVar[str] = "ssp.portal.session_ended.v1"

    user_id: EntityId
    session_hash: str = Field(
        pattern=r"^[0-9a-f]{64}$",
        description="sha256 of the session's secret id, as the gateway stores it (never the "
                    "secret itself)")

    def subject(self) -> str:
        return self.user_id
