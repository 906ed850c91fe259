"""The login decision: credentials, throttle, account state."""

from datetime import datetime, timedelta

import pytest
from permission_service.domain.accounts import Account
from permission_service.domain.login import (
    DISABLED,
    INVALID_CREDENTIALS,
    SUCCEEDED,
    THROTTLED,
    check_login,
)
from permission_service.domain.passwords import PasswordHashing
from permission_service.domain.throttle import ThrottleState

PASSWORD = "correct horse battery"


@pytest.fixture
def account(hashing: PasswordHashing) -> Account:
    return Account(user_id="u-1", org_id="acme", username="alice",
                   password_hash=hashing.hash(PASSWORD))


def test_right_password_logs_in(account: Account, hashing: PasswordHashing, now: datetime):
    result = check_login(account, PASSWORD, hashing=hashing, now=now)
    assert (result.ok, result.code, result.account) == (True, SUCCEEDED, account)
    assert result.throttle is None and result.new_password_hash is None


def test_wrong_password_counts_a_failure(account: Account, hashing: PasswordHashing, now):
    result = check_login(account, "wrong guess here", hashing=hashing, now=now)
    assert (result.ok, result.code) == (False, INVALID_CREDENTIALS)
    assert result.throttle == ThrottleState(1, None)


def test_unknown_user_and_sso_only_account_look_like_a_wrong_password(
    account: Account, hashing: PasswordHashing, now: datetime
):
    sso_only = account.model_copy(update={"password_hash": None})
    for candidate in (None, sso_only, account.model_copy(update={"deleted": True})):
        result = check_login(candidate, PASSWORD, hashing=hashing, now=now)
        assert (result.code, result.throttle) == (INVALID_CREDENTIALS, None)


def test_a_throttled_address_is_refused_without_checking(account, hashing, now: datetime):
    throttled = ThrottleState(5, now + timedelta(seconds=30))
    result = check_login(account, PASSWORD, hashing=hashing, now=now, state=throttled)
    assert (result.code, result.retry_after, result.throttle) == (
        THROTTLED, timedelta(seconds=30), None)
    after = check_login(account, PASSWORD, hashing=hashing, now=now + timedelta(seconds=30),
                        state=throttled)
    assert after.ok and after.throttle == ThrottleState()  # success resets the counter
    # Another address has its own, empty state: the right password goes through at once.
    assert check_login(account, PASSWORD, hashing=hashing, now=now).ok


def test_fifth_failure_reports_the_wait(account: Account, hashing: PasswordHashing, now):
    result = check_login(account, "wrong guess here", hashing=hashing, now=now,
                         state=ThrottleState(4))
    assert result.code == INVALID_CREDENTIALS
    assert result.retry_after == timedelta(seconds=30)


def test_disabled_is_revealed_only_with_the_right_password(account, hashing, now: datetime):
    disabled = account.model_copy(update={"enabled": False})
    assert check_login(disabled, "wrong guess here", hashing=hashing, now=now).code == (
        INVALID_CREDENTIALS)
    assert check_login(disabled, PASSWORD, hashing=hashing, now=now).code == DISABLED


def test_outdated_hash_is_replaced_on_success(hashing: PasswordHashing, now: datetime):
    from argon2 import PasswordHasher
    old = PasswordHasher(time_cost=2, memory_cost=8, parallelism=1, hash_len=4, salt_len=8)
    account = Account(user_id="u-1", org_id="acme", username="alice",
                      password_hash=old.hash(PASSWORD))
    result = check_login(account, PASSWORD, hashing=hashing, now=now)
    assert result.ok and result.new_password_hash is not None
    assert not hashing.needs_rehash(result.new_password_hash)
