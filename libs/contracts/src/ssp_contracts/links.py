"""Linking devices to users: manual changes, CSV imports, reservations."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from ssp_contracts.base import Contract, EntityId, Event, Version
from ssp_contracts.enums import LinkSource

DeviceKeyKind = Literal["device_id", "serial_number", "udid", "imei"]
UserKeyKind = Literal["user_id", "username", "email"]
ImportOutcome = Literal[
    "linked", "unchanged", "relinked", "unknown_device", "unknown_user", "duplicate_in_file",
    "invalid",
]


class LinkRequested(Event):
    """Link a device to a user, or unlink it (user_id None)."""

    event_type: ClassVar[str] = "ssp.link.requested.v1"

    request_id: EntityId
    device_id: EntityId
    user_id: EntityId | None = Field(description="New owner; None removes the link")
    source: LinkSource
    requested_by: EntityId

    def subject(self) -> str:
        return self.device_id


class ImportRow(Contract):
    line: int = Field(ge=1, description="Line number in the uploaded file")
    device_key_kind: DeviceKeyKind
    device_key: str = Field(max_length=256)
    user_key_kind: UserKeyKind
    user_key: str = Field(max_length=256)


class ImportRowOutcome(Contract):
    line: int
    device_key: str
    user_key: str
    outcome: ImportOutcome
    detail: str | None = None


class ImportRowsSubmitted(Event):
    """One chunk of a CSV import, keyed by import id so chunks stay in order."""

    event_type: ClassVar[str] = "ssp.import.rows_submitted.v1"

    import_id: EntityId
    chunk: int = Field(ge=0)
    chunks: int = Field(ge=1)
    total_rows: int = Field(ge=0)
    dry_run: bool = False
    requested_by: EntityId
    rows: list[ImportRow]
    prejudged: list[ImportRowOutcome] = Field(
        default_factory=list,
        description="Rows of this chunk the parser already decided (invalid, duplicate_in_file),"
                    " for the report; counted in total_rows")

    def subject(self) -> str:
        return self.import_id


class ImportProgress(Event):
    event_type: ClassVar[str] = "ssp.import.progress.v1"

    import_id: EntityId
    version: Version
    status: Literal["running", "completed", "failed"]
    dry_run: bool
    total: int
    done: int
    counts: dict[str, int] = Field(default_factory=dict)
    rows: list[ImportRowOutcome] = Field(
        default_factory=list, description="Outcomes of the rows finished since the last progress"
    )
    error: str | None = None

    def subject(self) -> str:
        return self.import_id
