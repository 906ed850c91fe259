"""Session expiry, step-up freshness, confirmation tokens, secrets at rest."""

from __future__ import annotations

from datetime import timedelta

import pytest
from portal_gateway.domain import confirmations as c
from portal_gateway.domain.errors import Forbidden
from portal_gateway.domain.secrets_at_rest import new_secret, same_secret, secret_hash
from portal_gateway.domain.sessions import (
    SessionPolicy,
    SessionTimes,
    expires_at,
    is_expired,
    is_freshly_authenticated,
    needs_touch,
    sweep_cutoffs,
)
from ssp_contracts.enums import Action

POLICY = SessionPolicy()


def test_idle_timeout_counts_from_last_use(now):
    times = SessionTimes(created_at=now, last_seen_at=now)
    assert not is_expired(times, POLICY, now + timedelta(minutes=29, seconds=59))
    assert is_expired(times, POLICY, now + timedelta(minutes=30))


def test_absolute_lifetime_wins_over_activity(now):
    busy = SessionTimes(created_at=now, last_seen_at=now + timedelta(hours=11, minutes=59))
    assert expires_at(busy, POLICY) == now + timedelta(hours=12)
    assert is_expired(busy, POLICY, now + timedelta(hours=12))


def test_touch_only_once_a_minute(now):
    times = SessionTimes(created_at=now, last_seen_at=now)
    assert not needs_touch(times, now + timedelta(seconds=59))
    assert needs_touch(times, now + timedelta(seconds=60))


def test_step_up_is_fresh_for_five_minutes(now):
    assert not is_freshly_authenticated(None, POLICY, now)
    assert is_freshly_authenticated(now, POLICY, now + timedelta(minutes=4, seconds=59))
    assert not is_freshly_authenticated(now, POLICY, now + timedelta(minutes=5))
    with pytest.raises(Forbidden) as err:
        c.require_step_up(now, POLICY, now + timedelta(minutes=6))
    assert err.value.code == "step_up.required"


def test_sweep_cutoffs(now):
    cut = sweep_cutoffs(POLICY, now)
    assert cut.idle_before == now - timedelta(minutes=30)
    assert cut.created_before == now - timedelta(hours=12)


def test_confirmation_is_stored_hashed_and_bound(now):
    token, conf = c.new_confirmation(user_id="u1", org_id="acme", device_id="d1",
                                     action=Action.WIPE, now=now, ttl=timedelta(minutes=2))
    assert conf.token_hash == secret_hash(token) and token not in conf.token_hash
    assert (conf.user_id, conf.device_id, conf.action) == ("u1", "d1", Action.WIPE)
    assert conf.expires_at == now + timedelta(minutes=2)


def test_only_destructive_actions_take_confirmations():
    assert c.needs_confirmation(Action.WIPE) and c.needs_confirmation(Action.RESET_PASSCODE)
    assert c.needs_confirmation(Action.RETIRE)  # final for the portal: no command reaches it after
    assert not c.needs_confirmation(Action.LOCK)
    with pytest.raises(Forbidden):
        c.require_confirmable(Action.LOCK)
    with pytest.raises(Forbidden) as err:
        c.require_token_given(None)
    assert err.value.code == "confirmation.required"


@pytest.mark.parametrize(("typed", "name", "serial", "ok"), [
    ("Alice iPhone", "Alice iPhone", "SN1", True),
    ("  alice IPHONE ", "Alice iPhone", "SN1", True),
    ("Alice", "Alice iPhone", "SN1", False),
    ("SN1", None, "SN1", True),
    ("", None, None, False),
])
def test_typed_name(typed, name, serial, ok):
    assert c.typed_name_matches(typed, name, serial) is ok


def test_secrets_are_256_bit_and_compared_in_constant_time():
    secret = new_secret()
    assert len(secret) >= 43 and secret != new_secret()
    assert len(secret_hash(secret)) == 64
    assert same_secret(secret, secret) and not same_secret("x", secret)
    assert not same_secret(None, secret) and not same_secret("", "")
