"""Events as outbox entries of the document whose change caused them."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ssp_contracts.base import Event
from ssp_contracts.commands import CommandAuthorized
from ssp_runtime.outbox import outbox_entry
from ssp_runtime.signing import Signer

from permission_service.event_routes import topic_for


def entries_for(events: Iterable[Event], source: str,
                signer: Signer | None = None) -> list[dict[str, Any]]:
    """`signer` signs the `CommandAuthorized` among them (the dispatcher takes no other)."""
    return [outbox_entry(topic_for(event), event, source=source,
                         signer=signer if isinstance(event, CommandAuthorized) else None)
            for event in events]
