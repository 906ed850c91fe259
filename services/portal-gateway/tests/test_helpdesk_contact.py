"""The help-desk contact an admin sets: what it accepts, and what it refuses to show to
every user of the organisation."""

from __future__ import annotations

import pytest
from portal_gateway.domain.helpdesk import HelpdeskContact
from pydantic import ValidationError


def test_a_full_contact_is_kept_trimmed_with_a_dialable_phone_link() -> None:
    contact = HelpdeskContact(name=" IT desk ", phone="+49 (30) 1234-567",
                              email="help@example.org", web="https://help.example.org/x")
    assert contact.name == "IT desk"
    assert contact.phone_link == "tel:+49301234567"
    assert not contact.is_empty


def test_no_field_given_is_no_contact() -> None:
    assert HelpdeskContact(name="  ").is_empty


@pytest.mark.parametrize(("field", "value"), [
    ("web", "javascript:alert(1)"), ("web", "http://plain.example.org"),
    ("web", "https://x.org/\"onmouseover=x"), ("email", "not-an-address"),
    ("email", "a@b"), ("phone", "call me"), ("name", "x" * 101),
])
def test_unsafe_or_malformed_values_are_refused(field: str, value: str) -> None:
    with pytest.raises(ValidationError) as refused:
        HelpdeskContact.model_validate({field: value})
    assert refused.value.errors()[0]["loc"] == (field,)
