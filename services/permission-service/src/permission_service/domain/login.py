"""The login decision: password, account state and throttle in one pure function.

Order matters for privacy: an unknown username costs the same time as a wrong password, and
the account's state (disabled) is known only after the right password. The codes here are
for audit and logs; the reply to the client (`CredentialsVerdict`) folds every refusal into
one `invalid_credentials`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from permission_service.domain.accounts import Account
from permission_service.domain.passwords import PasswordHashing
from permission_service.domain.throttle import (
    ThrottleState,
    after_failure,
    after_success,
    retry_after,
)

SUCCEEDED = "login.succeeded"
INVALID_CREDENTIALS = "login.invalid_credentials"
THROTTLED = "login.throttled"
DISABLED = "login.disabled"


@dataclass(frozen=True)
class LoginResult:
    ok: bool
    code: str
    message: str
    account: Account | None = None  # set on success only
    throttle: ThrottleState | None = None  # new throttle fields to store; None: store nothing
    new_password_hash: str | None = None  # replace the stored hash (parameters changed)
    retry_after: timedelta | None = None  # when throttled: how long to wait


def check_login(
    account: Account | None, password: str, *, hashing: PasswordHashing, now: datetime,
    state: ThrottleState | None = None,
) -> LoginResult:
    """Decide a login attempt for `account` (as found by org + username key, or None) from
    the client address whose throttle is `state`."""
    if account is None or account.deleted or account.password_hash is None:
        hashing.verify(None, password)  # same cost as a real check; nothing to count against
        return _invalid()
    state = state or ThrottleState()
    wait = retry_after(state, now)
    if wait is not None:
        # Refused unchecked: no hash cost, and guessing during the wait is pointless.
        seconds = math.ceil(wait.total_seconds())
        return LoginResult(False, THROTTLED,
                           f"Too many failed attempts. Try again in {seconds} seconds.",
                           retry_after=wait)
    if not hashing.verify(account.password_hash, password):
        failed = after_failure(state, now)
        return LoginResult(False, INVALID_CREDENTIALS, _invalid().message, throttle=failed,
                           retry_after=retry_after(failed, now))
    if not account.enabled:
        return LoginResult(False, DISABLED, "This account is disabled. Ask your administrator.")
    rehash = hashing.hash(password) if hashing.needs_rehash(account.password_hash) else None
    reset = after_success() if state != ThrottleState() else None
    return LoginResult(True, SUCCEEDED, "Logged in.", account=account, throttle=reset,
                       new_password_hash=rehash)


def _invalid() -> LoginResult:
    return LoginResult(False, INVALID_CREDENTIALS, "The username or password is wrong.")
