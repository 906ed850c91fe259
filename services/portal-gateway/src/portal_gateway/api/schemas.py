"""Request and response bodies of the JSON API (events live in ssp_contracts)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator
from ssp_contracts.base import OrgId
from ssp_contracts.enums import Action, CommandStatus, Permission

from portal_gateway.domain.command_view import CommandPublic
from portal_gateway.domain.device_view import DevicePublic


class LoginBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: str = Field(min_length=1, max_length=254)
    password: str = Field(min_length=1, max_length=1024, repr=False)
    org: OrgId | None = Field(None, description="Organisation; the gateway's default if absent")


class SessionPublic(BaseModel):
    user_id: str
    username: str
    org_id: str
    csrf_token: str = Field(description="Send as X-CSRF-Token with every unsafe request")


class ReauthBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    password: str = Field(min_length=1, max_length=1024, repr=False)


class ReauthResult(BaseModel):
    fresh_until: datetime = Field(description="Destructive actions are allowed until then")


class PortalAccessPublic(BaseModel):
    granted: bool
    missing: list[Literal["permission", "device"]]


class MePublic(BaseModel):
    user_id: str
    username: str
    display_name: str | None
    org_id: str
    locale: str
    permissions: list[Permission]
    is_admin: bool
    portal_access: PortalAccessPublic
    csrf_token: str


class DeviceLabelBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    label: str = Field(max_length=60, description="The owner's own name for the device; "
                       "runs of spaces and line breaks become one space; empty: no label")

    @field_validator("label")
    @classmethod
    def _one_line(cls, value: str) -> str:
        return " ".join(value.split())  # no line breaks or runs of spaces in a heading


class DeviceList(BaseModel):
    items: list[DevicePublic]


class CommandAcceptedPublic(BaseModel):
    command_id: str
    status: Literal["requested"] = "requested"


class CancelAcceptedPublic(BaseModel):
    """The cancel was handed to the dispatcher; `status` is the command's status until then."""

    command_id: str
    status: CommandStatus
    cancel: Literal["requested"] = "requested"


class ConfirmationBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    action: Action


class ConfirmationPublic(BaseModel):
    action: Action
    confirmation_token: str
    expires_at: datetime


class CommandList(BaseModel):
    items: list[CommandPublic]


class LinkAccepted(BaseModel):
    request_id: str
    status: Literal["requested"] = "requested"
