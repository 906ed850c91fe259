"""Destructive actions need a fresh re-authentication and a single-use confirmation token.

The token is bound to user, device and action and lives two minutes; the store consumes it
atomically, so a token works once even under concurrent requests.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from ssp_contracts.enums import Action

from portal_gateway.domain.errors import Forbidden
from portal_gateway.domain.secrets_at_rest import new_secret, secret_hash
from portal_gateway.domain.sessions import SessionPolicy, is_freshly_authenticated

# Removing a device from management is final for the portal too (no command reaches it again),
# so it is confirmed like a wipe.
CONFIRMED_ACTIONS = frozenset({Action.WIPE, Action.RESET_PASSCODE, Action.RETIRE})


def needs_confirmation(action: Action) -> bool:
    return action in CONFIRMED_ACTIONS


@dataclass(frozen=True)
class Confirmation:
    token_hash: str
    user_id: str
    org_id: str
    device_id: str
    action: Action
    expires_at: datetime


def new_confirmation(*, user_id: str, org_id: str, device_id: str, action: Action,
                     now: datetime, ttl: timedelta) -> tuple[str, Confirmation]:
    """The token for the client, and what to store (its hash and binding)."""
    token = new_secret()
    return token, Confirmation(secret_hash(token), user_id, org_id, device_id, action, now + ttl)


def require_confirmable(action: Action) -> None:
    if not needs_confirmation(action):
        raise Forbidden("confirmation.not_needed",
                        f"{action.value} does not need a confirmation.", action=action.value)


def require_step_up(reauthenticated_at: datetime | None, policy: SessionPolicy,
                    now: datetime) -> None:
    if not is_freshly_authenticated(reauthenticated_at, policy, now):
        minutes = int(policy.step_up.total_seconds() // 60)
        raise Forbidden("step_up.required",
                        f"Confirm your password first (needed within {minutes} minutes).")


def require_token_given(token: str | None) -> str:
    if not token:
        raise Forbidden("confirmation.required",
                        "This action needs a confirmation token; request one first.")
    return token


def confirmation_rejected() -> Forbidden:
    return Forbidden("confirmation.invalid",
                     "The confirmation is unknown, expired, already used, or for another "
                     "device or action. Request a new one.")


def typed_name_matches(typed: str | None, device_name: str | None,
                       serial_number: str | None) -> bool:
    """The wipe dialog asks the user to type the device's name (or serial when it has none)."""
    expected = (device_name or serial_number or "").strip().casefold()
    return bool(expected) and (typed or "").strip().casefold() == expected
