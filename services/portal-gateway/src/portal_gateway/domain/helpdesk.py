"""The organisation's help desk: who a person asks when the portal says "ask your
administrator" (no access, no device linked, a passcode this portal cannot show)."""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

# field -> (its shape, what to give). Only https for the web address: the link is shown to
# every user of the org, so no javascript: and no plain http.
_SHAPES = {
    "phone": (re.compile(r"^\+?[0-9 ()./-]{3,40}$"), "digits, spaces and + ( ) - . / only"),
    "email": (re.compile(r"^[^@\s<>\"]+@[^@\s<>\"]+\.[^@\s<>\"]+$"),
              "an e-mail address like help@example.org"),
    "web": (re.compile(r"^https://[^\s<>\"]+$"), "an address starting with https://"),
}


class HelpdeskContact(BaseModel):
    """Every field is optional; an empty contact is no contact (the pages then say only
    "ask your administrator")."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field("", max_length=100, description="Team or person, e.g. \"IT service desk\"")
    phone: str = Field("", max_length=40, description="A number to call, e.g. \"+49 30 1234 567\"")
    email: str = Field("", max_length=254, description="An e-mail address")
    web: str = Field("", max_length=300, description="An https:// address of a help page")

    @field_validator("name", "phone", "email", "web", mode="before")
    @classmethod
    def _stripped(cls, value: object) -> object:
        return value.strip() if isinstance(value, str) else value

    @field_validator("phone", "email", "web")
    @classmethod
    def _shaped(cls, value: str, info: ValidationInfo) -> str:
        pattern, hint = _SHAPES[info.field_name or ""]
        if value and not pattern.match(value):
            raise ValueError(hint)
        return value

    @property
    def is_empty(self) -> bool:
        return not (self.name or self.phone or self.email or self.web)

    @property
    def phone_link(self) -> str:
        return "tel:" + re.sub(r"[^0-9+]", "", self.phone)
