"""Events as outbox entries of the document whose change caused them."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ssp_contracts.base import Event
from ssp_runtime.outbox import outbox_entry

from permission_service.event_routes import topic_for


def entries_for(events: Iterable[Event], source: str) -> list[dict[str, Any]]:
    return [outbox_entry(topic_for(event), event, source=source) for event in events]
