"""Signing records and verifying them: what is accepted, and each way a record is refused."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

import pytest
from ssp_contracts.cloudevents import to_value
from ssp_contracts.commands import CommandAuthorized, CommandRequested
from ssp_contracts.enums import Action, ManagementMode, Platform
from ssp_runtime.consuming import PermanentError
from ssp_runtime.signing import (
    AUTHORIZATIONS,
    KEY_ID_HEADER,
    PORTAL_REQUESTS,
    SIGNATURE_HEADER,
    SignatureRefused,
    Signer,
    Verifier,
    demo_private_key,
    key_id,
    new_key_pair,
    public_key_of,
    signer_from_settings,
    verifier_from_settings,
)

NOW = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
TYPE = CommandAuthorized.event_type


def authorized(action: Action = Action.LOCK) -> bytes:
    return to_value(CommandAuthorized(
        org_id="acme", command_id="c-1", device_id="dev-1", action=action, requested_by="u-1",
        requested_at=NOW, platform=Platform.IOS, management_mode=ManagementMode.IOS_SUPERVISED,
        authorized_at=NOW))


def pair() -> tuple[Signer, Verifier]:
    private, public = new_key_pair()
    return (signer_from_settings(private, "S", demo=False, purpose=AUTHORIZATIONS),
            verifier_from_settings([public], "V", demo=False, purpose=AUTHORIZATIONS))


def refusal(verifier: Verifier, value: bytes | None, headers: dict[str, str],
            event_type: str = TYPE) -> str:
    with pytest.raises(SignatureRefused) as refused:
        verifier.verify(event_type, value, headers)
    return refused.value.reason


def test_a_signed_record_verifies_and_names_its_key() -> None:
    signer, verifier = pair()
    value = authorized()
    headers = signer.headers(TYPE, value)
    assert verifier.verify(TYPE, value, headers) == signer.key_id == headers[KEY_ID_HEADER]
    assert len(base64.b64decode(headers[SIGNATURE_HEADER])) == 64


def test_unsigned_records_are_refused() -> None:
    _, verifier = pair()
    assert refusal(verifier, authorized(), {}) == "unsigned"
    assert refusal(verifier, authorized(), {KEY_ID_HEADER: "abc"}) == "unsigned"


def test_a_changed_record_or_another_event_type_does_not_verify() -> None:
    signer, verifier = pair()
    headers = signer.headers(TYPE, authorized(Action.LOCK))
    assert refusal(verifier, authorized(Action.WIPE), headers) == "bad_signature"
    assert refusal(verifier, authorized(Action.LOCK), headers,
                   CommandRequested.event_type) == "bad_signature"
    assert refusal(verifier, authorized(), {**headers, SIGNATURE_HEADER: "not base64!"}) == \
        "bad_signature"


def test_a_key_nobody_trusts_is_refused_even_with_a_valid_signature() -> None:
    stranger, _ = pair()
    _, verifier = pair()
    value = authorized()
    assert refusal(verifier, value, stranger.headers(TYPE, value)) == "unknown_key"
    # Claiming a trusted key id does not help either.
    trusted_id = next(iter(verifier.trusted))
    forged = {**stranger.headers(TYPE, value), KEY_ID_HEADER: trusted_id}
    assert refusal(verifier, value, forged) == "bad_signature"


def test_a_refusal_goes_to_the_dead_letter_topic_at_once() -> None:
    assert issubclass(SignatureRefused, PermanentError)


def test_several_trusted_keys_allow_rotation() -> None:
    old, new = Signer(demo_private_key("old")), Signer(demo_private_key("new"))
    verifier = Verifier.of([public_key_of(demo_private_key(p)) for p in ("old", "new")])
    value = authorized()
    assert verifier.verify(TYPE, value, old.headers(TYPE, value)) == old.key_id
    assert verifier.verify(TYPE, value, new.headers(TYPE, value)) == new.key_id


def test_keys_are_required_outside_demo_mode_and_demo_keys_differ_by_purpose() -> None:
    with pytest.raises(ValueError, match="SSP_X must be set"):
        signer_from_settings(None, "SSP_X", demo=False, purpose=AUTHORIZATIONS)
    with pytest.raises(ValueError, match="SSP_Y must name"):
        verifier_from_settings([], "SSP_Y", demo=False, purpose=AUTHORIZATIONS)
    with pytest.raises(ValueError, match="SSP_X must hold 32 bytes"):
        signer_from_settings(base64.b64encode(b"short").decode(), "SSP_X", demo=False,
                             purpose=AUTHORIZATIONS)
    demo_signer = signer_from_settings(None, "S", demo=True, purpose=AUTHORIZATIONS)
    demo_verifier = verifier_from_settings([], "V", demo=True, purpose=AUTHORIZATIONS)
    value = authorized()
    assert demo_verifier.verify(TYPE, value, demo_signer.headers(TYPE, value))
    portal = signer_from_settings(None, "S", demo=True, purpose=PORTAL_REQUESTS)
    assert refusal(demo_verifier, value, portal.headers(TYPE, value)) == "unknown_key"
    assert key_id(public_key_of(demo_private_key(AUTHORIZATIONS))) == demo_signer.key_id
