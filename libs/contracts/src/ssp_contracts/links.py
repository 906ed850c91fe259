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
    source: LinkSource = Field(description="What asks for the link: an admin, a CSV, a reservation")
    requested_by: EntityId

    def subject(self) -> str:
        return self.device_id


class ImportRow(Contract):
    line: int = Field(ge=1, description="Line number in the uploaded file")
    device_key_kind: DeviceKeyKind = Field(description="Which identifier the device column holds")
    device_key: str = Field(max_length=256, description="The device's identifier, normalised")
    user_key_kind: UserKeyKind = Field(description="Which identifier the user column holds")
    user_key: str = Field(max_length=256, description="The user's identifier, as written")


class ImportRowOutcome(Contract):
    line: int = Field(description="Line number in the uploaded file")
    device_key: str = Field(description="The row's device identifier")
    user_key: str = Field(description="The row's user identifier")
    outcome: ImportOutcome = Field(description="What the row did (or why it did nothing)")
    detail: str | None = Field(None, description="Explanation for people, e.g. the old owner")


class ImportRowsSubmitted(Event):
    """One chunk of a CSV import, keyed by import id so chunks stay in order."""

    event_type: ClassVar[str] = "ssp.import.rows_submitted.v1"

    import_id: EntityId
    chunk: int = Field(ge=0, description="Index of this chunk, from 0")
    chunks: int = Field(ge=1, description="How many chunks the import has")
    total_rows: int = Field(ge=0, description="Data rows of the whole file")
    dry_run: bool = Field(False, description="Decide and report every row, change nothing")
    requested_by: EntityId
    rows: list[ImportRow] = Field(description="Valid rows of this chunk, for the registry")
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
    status: Literal["running", "completed", "failed"] = Field(
        description="completed once every chunk is recorded")
    dry_run: bool = Field(description="Whether nothing is changed")
    total: int = Field(description="Data rows of the whole file")
    done: int = Field(description="Rows decided so far")
    counts: dict[str, int] = Field(default_factory=dict,
                                   description="Rows per outcome so far, every outcome present")
    rows: list[ImportRowOutcome] = Field(
        default_factory=list, description="Outcomes of the rows finished since the last progress"
    )
    error: str | None = Field(None, description="Why the import failed, for people")

    def subject(self) -> str:
        return self.import_id
