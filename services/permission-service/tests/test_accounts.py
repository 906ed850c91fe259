"""The Account model's field rules and the problems they report."""

from datetime import datetime

import pytest
from permission_service.domain.accounts import Account, username_taken, validated_account
from permission_service.domain.errors import ValidationProblem


def fields(**overrides: object) -> dict[str, object]:
    return {"user_id": "u-1", "org_id": "acme", "username": "Alice.Example", **overrides}


def problem_codes(**overrides: object) -> list[str]:
    with pytest.raises(ValidationProblem) as raised:
        validated_account(fields(**overrides))
    return sorted(p.code for p in raised.value.problems)


def test_valid_account_gets_a_lowercase_username_key():
    account = validated_account(fields(email="alice@example.org", locale="de"))
    assert account.username == "Alice.Example"
    assert account.username_key == "alice.example"
    assert account.stored_fields()["username_key"] == "alice.example"
    assert "username_key" not in account.model_dump()  # an index field, not the account's


@pytest.mark.parametrize("username", ["al", "a" * 65, "alice smith", "alice!", "älice", ""])
def test_bad_usernames_are_rejected(username: str):
    assert problem_codes(username=username) == ["username.invalid"]


@pytest.mark.parametrize("username", ["abc", "a" * 64, "first.last", "x_y-z", "me@corp.example"])
def test_good_usernames_are_accepted(username: str):
    validated_account(fields(username=username))


@pytest.mark.parametrize("email", ["nobody", "a@b", "a b@c.de", "@c.de", "a@" + "b" * 250 + ".de"])
def test_bad_emails_are_rejected(email: str):
    assert problem_codes(email=email) == ["email.invalid"]


def test_every_invalid_field_is_reported_at_once():
    assert problem_codes(username="x", email="nope", locale="fr") == [
        "email.invalid", "locale.unsupported", "username.invalid"]


def test_role_ids_are_kept_sorted_and_unique():
    account = validated_account(fields(role_ids=["b", "a", "b"]))
    assert account.role_ids == ("a", "b")


def test_a_stored_document_loads_with_extra_keys():
    # What MongoDB hands back: `_id`, the outbox, the computed key, and fields of older
    # versions (the account-wide login throttle, now kept per address apart).
    document = {**fields(), "_id": "x", "outbox": [], "username_key": "alice.example",
                "failed_logins": 3, "throttled_until": datetime(2026, 1, 1, 12, 0)}
    account = Account.model_validate(document)
    assert account.username == "Alice.Example" and "failed_logins" not in account.model_dump()


def test_a_deleted_account_frees_its_username_key():
    account = validated_account(fields(deleted=True))
    assert account.username_key == "deleted:u-1"


def test_username_conflict_has_a_stable_code():
    assert username_taken("alice").code == "username.taken"
