"""A device's report on `connect`: its status for a command and what the command returned."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from ssp_contracts.commands import CommandResult, ErrorDetail, Location
from ssp_contracts.enums import CommandStatus

from command_dispatcher.apple.checkin import IDENTIFIER_PATTERN
from command_dispatcher.apple.errors import ProtocolError
from command_dispatcher.apple.inventory import to_inventory
from command_dispatcher.apple.plist_body import DEFAULT_MAX_BODY_BYTES, load_plist

CONNECT_CONTENT_TYPE = "application/x-apple-aspen-mdm"
_IDENTIFIER = re.compile(IDENTIFIER_PATTERN)


class ReportStatus(StrEnum):
    ACKNOWLEDGED = "Acknowledged"
    ERROR = "Error"
    COMMAND_FORMAT_ERROR = "CommandFormatError"
    IDLE = "Idle"
    NOT_NOW = "NotNow"


@dataclass(frozen=True)
class Report:
    """One PUT to the ServerURL. `command_uuid` is None only for Idle."""

    status: ReportStatus
    udid: str | None
    enrollment_id: str | None
    command_uuid: str | None
    errors: list[ErrorDetail] = field(default_factory=list)
    values: dict[str, Any] = field(default_factory=dict)  # the whole plist, for response keys

    @property
    def device_identifier(self) -> str:
        return self.udid or self.enrollment_id or ""

    @property
    def channel_user(self) -> str | None:
        """The user of a user-channel report (macOS user, Shared iPad user, User Enrollment
        user); None on the device channel, where every portal action runs."""
        for key in ("UserID", "EnrollmentUserID", "UserShortName"):
            value = self.values.get(key)
            if isinstance(value, str) and value:
                return value
        return None


def _error_chain(raw: Any) -> list[ErrorDetail]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise ProtocolError("report.invalid", "ErrorChain must be an array")
    chain = []
    for item in raw:
        if not isinstance(item, dict) or "ErrorCode" not in item:
            raise ProtocolError("report.invalid", "ErrorChain entries need an ErrorCode")
        text = item.get("USEnglishDescription") or item.get("LocalizedDescription")
        domain = item.get("ErrorDomain")
        chain.append(ErrorDetail(
            code=str(item["ErrorCode"]),
            domain=domain if isinstance(domain, str) else None,
            message=str(text)[:1000] if text is not None else None,
        ))
    return chain


def _optional_str(values: dict[str, Any], key: str) -> str | None:
    value = values.get(key)
    if value is not None and not isinstance(value, str):
        raise ProtocolError("report.invalid", f"{key} must be a string")
    return value or None


def to_report(values: dict[str, Any]) -> Report:
    """Validate an already loaded report plist."""
    try:
        status = ReportStatus(str(values.get("Status")))
    except ValueError as exc:
        raise ProtocolError(
            "report.invalid_status", f"unknown Status {values.get('Status')!r}"
        ) from exc
    udid, enrollment_id = _optional_str(values, "UDID"), _optional_str(values, "EnrollmentID")
    if udid is None and enrollment_id is None:
        raise ProtocolError("report.invalid", "UDID or EnrollmentID is required")
    if not _IDENTIFIER.fullmatch(udid or enrollment_id or "") or \
            len(udid or enrollment_id or "") > 128:
        raise ProtocolError("report.invalid", "UDID or EnrollmentID is malformed")
    command_uuid = _optional_str(values, "CommandUUID")
    if command_uuid is None and status is not ReportStatus.IDLE:
        raise ProtocolError("report.invalid", f"Status {status.value} needs a CommandUUID")
    return Report(
        status=status,
        udid=udid,
        enrollment_id=enrollment_id,
        command_uuid=command_uuid if status is not ReportStatus.IDLE else None,
        errors=_error_chain(values.get("ErrorChain")),
        values=values,
    )


def parse_report(body: bytes, *, max_bytes: int = DEFAULT_MAX_BODY_BYTES) -> Report:
    """Parse a raw `connect` body (size-capped, entity declarations refused)."""
    return to_report(load_plist(body, max_bytes=max_bytes))


def command_status(report: Report) -> CommandStatus | None:
    """The lifecycle status a report moves its command to; None: leave it (Idle, NotNow)."""
    if report.status is ReportStatus.ACKNOWLEDGED:
        return CommandStatus.ACKNOWLEDGED
    if report.status in (ReportStatus.ERROR, ReportStatus.COMMAND_FORMAT_ERROR):
        return CommandStatus.FAILED
    return None  # NotNow: the device did not keep it; the server must send it again later


def _timestamp(raw: Any, now: datetime) -> datetime:
    if isinstance(raw, datetime):  # plist <date> comes back naive, in UTC
        return raw if raw.tzinfo else raw.replace(tzinfo=UTC)
    if isinstance(raw, str):
        try:
            parsed = datetime.fromisoformat(raw.replace("Z", "+00:00"))
        except ValueError:
            return now
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return now


def _number(raw: Any) -> float | None:
    # plist booleans are ints in Python; they are never a coordinate.
    return float(raw) if isinstance(raw, int | float) and not isinstance(raw, bool) else None


def _location(values: dict[str, Any], now: datetime) -> Location | None:
    latitude, longitude = _number(values.get("Latitude")), _number(values.get("Longitude"))
    if latitude is None or longitude is None:
        return None
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        return None  # a fix we cannot trust is no fix; the command still records its status
    accuracy = _number(values.get("HorizontalAccuracy"))
    return Location(
        latitude=latitude,
        longitude=longitude,
        accuracy_m=accuracy if accuracy is not None and accuracy >= 0 else None,  # <0: unknown
        at=_timestamp(values.get("Timestamp"), now),
    )


def to_command_result(report: Report, *, now: datetime | None = None,
                      macos: bool = False) -> CommandResult | None:
    """What the report says about its command; None for Idle (no command) and NotNow.
    `macos`: a Mac's report (its capacities may be in GiB, see inventory)."""
    if report.status in (ReportStatus.IDLE, ReportStatus.NOT_NOW):
        return None
    now = now or datetime.now(UTC)
    errors = list(report.errors)
    if report.status is ReportStatus.COMMAND_FORMAT_ERROR and not errors:
        errors.append(ErrorDetail(code="CommandFormatError", message="device rejected the format"))
    responses = report.values.get("QueryResponses")
    message_result = report.values.get("MessageResult")
    return CommandResult(
        location=_location(report.values, now),
        inventory=to_inventory(responses, macos=macos) if isinstance(responses, dict) else None,
        errors=errors,
        platform_status=message_result if isinstance(message_result, str) else None,
    )
