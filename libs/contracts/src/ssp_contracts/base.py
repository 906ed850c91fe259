"""The base of every event: frozen, strict about unknown fields, tenant-scoped."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Annotated, Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

OrgId = Annotated[
    str,
    Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$",
          description="Organisation (tenant) the record belongs to", examples=["acme"]),
]
EntityId = Annotated[
    str,
    Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_.:-]+$",
          description="Opaque identifier", examples=["dev-7f3a1c"]),
]
Version = Annotated[
    int, Field(ge=1, description="Per-entity version; consumers apply only newer versions")
]


def utcnow() -> datetime:
    return datetime.now(UTC)


class Contract(BaseModel):
    """A value object inside an event."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    @classmethod
    def accepted_fields(cls, values: Mapping[str, Any]) -> dict[str, Any]:
        """The values this model accepts, checked one field at a time, None left out: what a
        device reports may hold one odd value, which must not drop the others."""
        kept: dict[str, Any] = {}
        for key, value in values.items():
            if value is None:
                continue
            try:
                cls.model_validate({key: value})
            except ValidationError:
                continue
            kept[key] = value
        return kept


class Event(Contract):
    """A record on a topic. `event_type` is its CloudEvents `ce_type`."""

    event_type: ClassVar[str]

    org_id: OrgId

    def subject(self) -> str:
        """The entity the event is about (CloudEvents `ce_subject`, usually the record key)."""
        raise NotImplementedError
