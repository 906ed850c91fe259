"""The dispatcher's check of a CommandAuthorized's signature: refused ones are counted."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from command_dispatcher.authorizations import AuthorizationCheck
from command_dispatcher.settings import Settings
from prometheus_client import CollectorRegistry
from ssp_contracts.cloudevents import to_value
from ssp_contracts.commands import CommandAuthorized
from ssp_contracts.enums import Action, ManagementMode, Platform
from ssp_runtime.consuming import Delivery
from ssp_runtime.signing import (
    AUTHORIZATIONS,
    PORTAL_REQUESTS,
    SignatureRefused,
    Signer,
    demo_private_key,
    verifier_from_settings,
)

NOW = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
EVENT = CommandAuthorized(
    org_id="acme", command_id="c-1", device_id="dev-1", action=Action.LOCK, requested_by="u-1",
    requested_at=NOW, platform=Platform.IOS, management_mode=ManagementMode.IOS_SUPERVISED,
    authorized_at=NOW)


def delivery(headers: dict[str, str]) -> Delivery:
    return Delivery("ssp.commands.apple", 0, 7, "dev-1", headers, value=to_value(EVENT))


def refused(registry: CollectorRegistry, reason: str) -> float:
    return registry.get_sample_value("ssp_authorizations_refused_total", {"reason": reason}) or 0


def test_signed_passes_and_unsigned_or_foreign_signatures_are_refused_and_counted() -> None:
    registry = CollectorRegistry()
    check = AuthorizationCheck(
        verifier_from_settings([], "V", demo=True, purpose=AUTHORIZATIONS), registry)
    value = to_value(EVENT)
    signed = Signer(demo_private_key(AUTHORIZATIONS)).headers(EVENT.event_type, value)
    check.require_signed(EVENT, delivery(signed))
    assert refused(registry, "unsigned") == 0
    with pytest.raises(SignatureRefused):
        check.require_signed(EVENT, delivery({}))
    gateway_signed = Signer(demo_private_key(PORTAL_REQUESTS)).headers(EVENT.event_type, value)
    with pytest.raises(SignatureRefused):
        check.require_signed(EVENT, delivery(gateway_signed))
    assert (refused(registry, "unsigned"), refused(registry, "unknown_key")) == (1, 1)


def test_outside_demo_mode_the_trusted_keys_must_be_set(monkeypatch) -> None:
    monkeypatch.delenv("SSP_AUTHORIZATION_TRUSTED_KEYS", raising=False)
    with pytest.raises(ValueError, match="SSP_AUTHORIZATION_TRUSTED_KEYS"):
        Settings(demo_mode=False).authorization_verifier()
    assert Settings(demo_mode=True).authorization_verifier().trusted
