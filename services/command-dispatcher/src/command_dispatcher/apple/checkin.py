"""Check-in messages (PUT to the CheckInURL) parsed into typed models.

Only the device-channel messages the portal needs are accepted; anything else is a
ProtocolError so the edge answers 400 instead of guessing.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from command_dispatcher.apple.errors import ProtocolError
from command_dispatcher.apple.plist_body import DEFAULT_MAX_BODY_BYTES, load_plist

CHECKIN_CONTENT_TYPE = "application/x-apple-aspen-mdm-checkin"


class _CheckInMessage(BaseModel):
    # strict: a plist <string> must not pass as <data> and vice versa; extra keys are normal.
    model_config = ConfigDict(frozen=True, extra="ignore", strict=True, populate_by_name=True)

    topic: str = Field(alias="Topic", min_length=1)
    udid: str | None = Field(None, alias="UDID", min_length=1, max_length=128)
    enrollment_id: str | None = Field(None, alias="EnrollmentID", min_length=1, max_length=128)

    @model_validator(mode="after")
    def _has_device_identifier(self) -> _CheckInMessage:
        if self.udid is None and self.enrollment_id is None:
            raise ValueError("UDID or EnrollmentID is required")
        return self

    @property
    def device_identifier(self) -> str:
        """UDID, or EnrollmentID for User Enrollment devices (which hide their UDID)."""
        return self.udid or self.enrollment_id or ""


class Authenticate(_CheckInMessage):
    message_type: Literal["Authenticate"] = Field(alias="MessageType")
    serial_number: str | None = Field(None, alias="SerialNumber")
    model: str | None = Field(None, alias="Model")
    model_name: str | None = Field(None, alias="ModelName")
    product_name: str | None = Field(None, alias="ProductName")
    os_version: str | None = Field(None, alias="OSVersion")
    build_version: str | None = Field(None, alias="BuildVersion")
    device_name: str | None = Field(None, alias="DeviceName")
    imei: str | None = Field(None, alias="IMEI")
    meid: str | None = Field(None, alias="MEID")


class TokenUpdate(_CheckInMessage):
    message_type: Literal["TokenUpdate"] = Field(alias="MessageType")
    token: bytes = Field(alias="Token", min_length=1)
    push_magic: str = Field(alias="PushMagic", min_length=1)
    unlock_token: bytes | None = Field(None, alias="UnlockToken")
    awaiting_configuration: bool = Field(False, alias="AwaitingConfiguration")
    # Set on the user channel (macOS user or Shared iPad); the device channel omits it.
    user_id: str | None = Field(None, alias="UserID")

    @property
    def token_hex(self) -> str:
        """The APNs device token as APNs wants it in the URL path."""
        return self.token.hex()


class CheckOut(_CheckInMessage):
    message_type: Literal["CheckOut"] = Field(alias="MessageType")


CheckInMessage = Authenticate | TokenUpdate | CheckOut

_MODELS: dict[str, type[Authenticate] | type[TokenUpdate] | type[CheckOut]] = {
    "Authenticate": Authenticate,
    "TokenUpdate": TokenUpdate,
    "CheckOut": CheckOut,
}


def to_checkin_message(values: dict[str, Any]) -> CheckInMessage:
    """Turn an already loaded plist dict into its model."""
    message_type = values.get("MessageType")
    model = _MODELS.get(message_type) if isinstance(message_type, str) else None
    if model is None:
        raise ProtocolError(
            "checkin.unsupported_message_type", f"unsupported MessageType {message_type!r}"
        )
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        fields = ", ".join(".".join(map(str, e["loc"])) or "message" for e in exc.errors())
        raise ProtocolError("checkin.invalid", f"invalid {message_type}: {fields}") from exc


def parse_checkin(body: bytes, *, max_bytes: int = DEFAULT_MAX_BODY_BYTES) -> CheckInMessage:
    """Parse a raw check-in body (size-capped, entity declarations refused)."""
    return to_checkin_message(load_plist(body, max_bytes=max_bytes))
