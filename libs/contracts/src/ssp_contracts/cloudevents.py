"""CloudEvents 1.0 Kafka protocol binding, binary content mode: attributes travel as `ce_*`
headers, the JSON event is the record value."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime

from ssp_contracts.base import Event, utcnow

SPEC_VERSION = "1.0"
CONTENT_TYPE = "application/json"


def to_headers(event: Event, *, source: str, event_id: str | None = None,
               time: datetime | None = None) -> dict[str, str]:
    return {
        "ce_specversion": SPEC_VERSION,
        "ce_id": event_id or str(uuid.uuid4()),
        "ce_type": event.event_type,
        "ce_source": source,
        "ce_time": (time or utcnow()).isoformat(),
        "ce_subject": event.subject(),
        "content-type": CONTENT_TYPE,
    }


def to_value(event: Event) -> bytes:
    return event.model_dump_json(exclude_none=False).encode()


def header_text(headers: Mapping[str, bytes | str] | None, name: str) -> str | None:
    if not headers:
        return None
    value = headers.get(name)
    if value is None:
        return None
    return value.decode(errors="replace") if isinstance(value, bytes) else value
