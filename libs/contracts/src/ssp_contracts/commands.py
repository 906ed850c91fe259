"""The command path: requested -> authorized -> status changes."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field

from ssp_contracts.base import Contract, EntityId, Event, Version
from ssp_contracts.enums import Action, CommandStatus, ManagementMode, Platform

# ASCII digits only: a regex `\d` also matches other scripts' digits (Arabic-Indic "١٢٣٤٥٦"),
# which a Mac would be sent and nobody could type on its lock screen.
Pin = Annotated[str, Field(pattern=r"^[0-9]{6}$",
                           description="6-digit PIN (macOS lock and wipe), ASCII digits")]

# The version sequence of one command's status line (`CommandStatusChanged.version`): each
# step is written by the one service that owns it, so no two ever claim the same number.
REQUESTED_VERSION = 0  # `requested`: the gateway's own record (no status event carries it)
# 1 is not used: kept free so that existing records keep their meaning.
DECISION_VERSION = 2  # `authorized` or `rejected`: the permission-service's decision
FIRST_DISPATCH_VERSION = 3  # the dispatcher's first step (queued, canceled, refused); +1 each


class CommandParams(Contract):
    """Parameters of an action; which ones an action needs is checked by the authorizer."""

    message: str | None = Field(None, max_length=500, description="Lost mode or lock screen text")
    phone_number: str | None = Field(
        None, max_length=40, pattern=r"^[0-9+()\-. /]{3,40}$",
        description="Phone number shown on the lock screen",
    )
    footnote: str | None = Field(None, max_length=200, description="Lost mode footnote (Apple)")
    email: str | None = Field(None, max_length=254, description="Lost mode e-mail (Android)")
    street_address: str | None = Field(None, max_length=300, description="Lost mode address")
    organization: str | None = Field(None, max_length=200, description="Lost mode organisation")
    pin: Pin | None = Field(None, description="6-digit PIN (macOS lock and wipe)")


class Location(Contract):
    latitude: float = Field(ge=-90, le=90, description="Degrees north (WGS 84)")
    longitude: float = Field(ge=-180, le=180, description="Degrees east (WGS 84)")
    accuracy_m: float | None = Field(None, ge=0, description="Horizontal accuracy in metres")
    at: datetime = Field(description="When the device measured it")


class ErrorDetail(Contract):
    code: str = Field(description="Platform error code, e.g. Apple 12067 or AMAPI API_LEVEL")
    domain: str | None = Field(None, description="Platform error domain, e.g. MCMDMErrorDomain")
    message: str | None = Field(None, description="The platform's error text, as reported")


class CommandResult(Contract):
    """What a device reported for a command."""

    location: Location | None = Field(None, description="Where the device was (locate)")
    inventory: dict[str, Any] | None = Field(None, description="Fields of a refreshed device")
    errors: list[ErrorDetail] = Field(
        default_factory=list, description="Errors the device or platform reported; empty if none")
    platform_status: str | None = Field(None, description="e.g. ALREADY_IN_LOST_MODE, 405")
    sealed_secret: str | None = Field(
        None, description="One-time passcode sealed to the gateway's public key (base64)"
    )


class CommandRequested(Event):
    event_type: ClassVar[str] = "ssp.command.requested.v1"

    command_id: EntityId
    device_id: EntityId
    action: Action = Field(description="What to do on the device")
    params: CommandParams = Field(default_factory=CommandParams,
                                  description="Parameters of the action, as requested")
    requested_by: EntityId = Field(description="User id of the requester")
    requested_at: datetime = Field(description="When the requester asked")
    source: str = Field("portal", max_length=64, description="Requesting system")

    def subject(self) -> str:
        return self.device_id


class CommandAuthorized(Event):
    event_type: ClassVar[str] = "ssp.command.authorized.v1"

    command_id: EntityId
    device_id: EntityId
    action: Action = Field(description="What to do on the device, as requested")
    params: CommandParams = Field(default_factory=CommandParams,
                                  description="Parameters of the action, as authorized")
    requested_by: EntityId
    requested_at: datetime = Field(description="When the requester asked (from the request)")
    platform: Platform = Field(description="The device's platform when it was authorized")
    management_mode: ManagementMode = Field(
        description="The device's management mode when authorized; picks the adapter")
    authorized_at: datetime = Field(description="When the authorizer allowed it")

    def subject(self) -> str:
        return self.device_id


class CommandCancelRequested(Event):
    """Asks the dispatcher to drop a command the device has not been sent yet.

    Published on `ssp.commands.requested`, keyed by device id like the command itself; the
    permission-service (the only writer of `ssp.commands.<family>`) forwards it to the platform
    family's topic behind the command's authorization, so the dispatcher reads it in order
    with the command. The
    answer is a `CommandStatusChanged`: `canceled` (reason_code `canceled_by_requester`), or,
    when it is too late, the command's current status with reason_code `cancel_refused.sent`
    (a command already ended keeps its status and gets no new record).
    """

    event_type: ClassVar[str] = "ssp.command.cancel_requested.v1"

    command_id: EntityId
    device_id: EntityId
    action: Action = Field(description="The command's action, as requested")
    requested_by: EntityId = Field(
        description="User id of the canceller; only the command's requester may cancel it")
    requested_at: datetime = Field(description="When the cancel was asked")
    source: str = Field("portal", max_length=64, description="Requesting system")

    def subject(self) -> str:
        return self.device_id


class CommandStatusChanged(Event):
    event_type: ClassVar[str] = "ssp.command.status_changed.v1"

    command_id: EntityId
    device_id: EntityId
    action: Action = Field(description="The command's action")
    status: CommandStatus = Field(description="The status the command moved to")
    version: Version = Field(description="Increases with every transition of this command")
    requested_by: EntityId
    reason_code: str | None = Field(None, max_length=100, description="Machine code")
    reason: str | None = Field(None, max_length=1000, description="Human explanation")
    result: CommandResult | None = Field(
        None, description="What the device or platform reported, when it answered")
    occurred_at: datetime = Field(description="When the command moved to this status")

    def subject(self) -> str:
        return self.device_id


CommandOutcome = Literal["acknowledged", "failed", "expired", "canceled", "rejected"]
