"""Check-in messages (PUT to the CheckInURL, or to the ServerURL when the profile has no
CheckInURL) parsed into typed models.

Every check-in type of Apple's schema (apple/device-management mdm/checkin) is recognised;
anything else is a ProtocolError so the edge answers 400 instead of guessing. What the server
answers to each one is the endpoint's decision (docs/operations.md, "Device protocol answers").
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from command_dispatcher.apple.errors import ProtocolError
from command_dispatcher.apple.plist_body import DEFAULT_MAX_BODY_BYTES, load_plist

CHECKIN_CONTENT_TYPE = "application/x-apple-aspen-mdm-checkin"
# A UDID or EnrollmentID becomes the device's id everywhere (contracts' EntityId): anything
# else (a path, markup) is refused as malformed, before it reaches a store or an event.
IDENTIFIER_PATTERN = r"^[A-Za-z0-9_.:-]+$"


class _CheckInMessage(BaseModel):
    # strict: a plist <string> must not pass as <data> and vice versa; extra keys are normal.
    model_config = ConfigDict(frozen=True, extra="ignore", strict=True, populate_by_name=True)

    topic: str = Field(alias="Topic", min_length=1)
    udid: str | None = Field(None, alias="UDID", min_length=1, max_length=128,
                             pattern=IDENTIFIER_PATTERN)
    enrollment_id: str | None = Field(None, alias="EnrollmentID", min_length=1, max_length=128,
                                      pattern=IDENTIFIER_PATTERN)
    # Set on the user channel only (macOS user, Shared iPad user, macOS User Enrollment user);
    # the device channel omits them (Apple's tokenupdate.yaml: "devicechannel: false").
    user_id: str | None = Field(None, alias="UserID")
    enrollment_user_id: str | None = Field(None, alias="EnrollmentUserID")
    user_short_name: str | None = Field(None, alias="UserShortName")

    @model_validator(mode="after")
    def _has_device_identifier(self) -> _CheckInMessage:
        if self.udid is None and self.enrollment_id is None:
            raise ValueError("UDID or EnrollmentID is required")
        return self

    @property
    def device_identifier(self) -> str:
        """UDID, or EnrollmentID for User Enrollment devices (which hide their UDID)."""
        return self.udid or self.enrollment_id or ""

    @property
    def channel_user(self) -> str | None:
        """The user a user-channel message speaks for; None on the device channel."""
        return self.user_id or self.enrollment_user_id or self.user_short_name


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

    @property
    def token_hex(self) -> str:
        """The APNs device token as APNs wants it in the URL path."""
        return self.token.hex()


class CheckOut(_CheckInMessage):
    message_type: Literal["CheckOut"] = Field(alias="MessageType")


class OtherCheckIn(_CheckInMessage):
    """A check-in type this server does not act on; the endpoint answers each as docs say."""

    message_type: Literal["UserAuthenticate", "DeclarativeManagement", "GetBootstrapToken",
                          "SetBootstrapToken", "GetToken", "ReturnToService"] = Field(
        alias="MessageType")


CheckInMessage = Authenticate | TokenUpdate | CheckOut | OtherCheckIn

_MODELS: dict[str, type[CheckInMessage]] = {
    "Authenticate": Authenticate,
    "TokenUpdate": TokenUpdate,
    "CheckOut": CheckOut,
    **dict.fromkeys(("UserAuthenticate", "DeclarativeManagement", "GetBootstrapToken",
                     "SetBootstrapToken", "GetToken", "ReturnToService"), OtherCheckIn),
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
