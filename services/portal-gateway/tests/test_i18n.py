"""The message catalogue: negotiation, fallback, and both languages complete."""

from __future__ import annotations

import pytest
from portal_gateway.web import messages_de, messages_en
from portal_gateway.web.i18n import negotiate, reason_text, translator
from ssp_contracts.capabilities import capability
from ssp_contracts.enums import Action, ManagementMode


@pytest.mark.parametrize(("cookie", "header", "locale"), [
    (None, "de-DE,de;q=0.9,en;q=0.8", "de"),
    (None, "fr-FR, en;q=0.5, de;q=0.7", "de"),
    (None, "fr", "en"),
    (None, None, "en"),
    ("en", "de", "en"),
    ("xx", "de", "de"),
    (None, "de;q=0", "en"),
])
def test_negotiation(cookie, header, locale):
    assert negotiate(cookie, header) == locale


def test_every_english_text_has_a_german_one():
    assert set(messages_en.MESSAGES) - set(messages_de.MESSAGES) == set()


def test_german_covers_every_capability_reason():
    t = translator("de")
    codes = {capability(a, m, lost_mode=lost).code for a in Action for m in ManagementMode
             for lost in (False, True)} - {None}
    assert codes
    missing = {c for c in codes if not t(f"reason.{c}", default="")}
    assert missing == set()


def test_reason_text_prefers_the_action_specific_text():
    t = translator("de")
    assert "zuerst" in reason_text(t, "locate", "state.not_in_lost_mode", "english")
    assert reason_text(t, "disable_lost_mode", "state.not_in_lost_mode", "english") == \
        "Das Gerät ist nicht im Verloren-Modus."
    assert reason_text(translator("en"), "lock", "unknown.code", "English text") == \
        "English text"


def test_values_are_filled_in():
    assert translator("en")("device.accuracy", meters=12) == "Accuracy: about 12 m"
