"""Sign records as the gateway or the permission-service would, with the run's keys (the
environment every service process of the test run inherits, see tests/conftest.py)."""

from __future__ import annotations

import os

from ssp_contracts.base import Event
from ssp_contracts.cloudevents import to_value
from ssp_runtime.sealing import key_from_setting
from ssp_runtime.signing import Signer


def _signer(setting: str) -> Signer:
    return Signer(key_from_setting(os.environ[setting], setting))


def as_portal(event: Event) -> dict[str, str]:
    """Headers that make `event` (a CommandRequested) the portal's."""
    return _signer("SSP_PORTAL_REQUEST_SIGNING_KEY").headers(event.event_type, to_value(event))


def as_authorizer(event: Event) -> dict[str, str]:
    """Headers that make `event` (a CommandAuthorized) the permission-service's."""
    return _signer("SSP_AUTHORIZATION_SIGNING_KEY").headers(event.event_type, to_value(event))
