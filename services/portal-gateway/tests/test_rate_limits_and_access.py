"""Fixed windows, portal access, cookie policy."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from portal_gateway.domain.access import known_permissions, portal_access
from portal_gateway.domain.errors import RateLimited
from portal_gateway.domain.rate_limits import RateLimit, check_count, window_for
from portal_gateway.http.cookies import cookie_secure
from ssp_contracts.enums import Permission

RULE = RateLimit("commands.user", 3, timedelta(minutes=10))


def test_windows_are_aligned_and_keyed_by_subject(now):
    window = window_for(RULE, "u1", now)
    assert window.start == datetime(2026, 11, 27, 9, 30, tzinfo=UTC)
    assert window.end == window.start + timedelta(minutes=10)
    assert window_for(RULE, "u1", now + timedelta(minutes=9, seconds=59)) == window
    assert window_for(RULE, "u1", now + timedelta(minutes=10)).key != window.key
    assert window_for(RULE, "u2", now).key != window.key


def test_count_above_limit_is_refused_with_retry_after(now):
    window = window_for(RULE, "u1", now)
    check_count(RULE, window, 3, now)
    with pytest.raises(RateLimited) as err:
        check_count(RULE, window, 4, now + timedelta(minutes=4))
    assert err.value.code == "rate_limited.commands.user"
    assert err.value.retry_after_s == 360


@pytest.mark.parametrize(("permissions", "devices", "missing"), [
    ({Permission.VIEW}, 1, ()),
    (set(), 1, ("permission",)),
    ({Permission.ADMIN}, 1, ("permission",)),  # admin is not a self-service permission
    ({Permission.WIPE}, 0, ("device",)),
    (set(), 0, ("permission", "device")),
])
def test_portal_access(permissions, devices, missing):
    access = portal_access(permissions, devices)
    assert access.missing == missing and access.granted is (not missing)


def test_unknown_permission_strings_are_ignored():
    assert known_permissions(["ssp.view", "ssp.teleport"]) == {Permission.VIEW}


@pytest.mark.parametrize(("mode", "scheme", "secure"), [
    ("auto", "https", True), ("auto", "http", False), ("always", "http", True),
    ("never", "https", False),
])
def test_cookie_secure(mode, scheme, secure):
    assert cookie_secure(mode, scheme) is secure
