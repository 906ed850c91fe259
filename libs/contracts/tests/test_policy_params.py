"""Per-action parameter rules of the command policy (the contract already checks formats)."""

from __future__ import annotations

import pytest
from ssp_contracts.commands import CommandParams
from ssp_contracts.enums import Action, Platform
from ssp_contracts.policy import param_problems


def codes(action, platform, **params):
    return [p.code for p in param_problems(action, platform, CommandParams(**params))]


def test_lost_mode_needs_a_message_or_a_phone_number():
    assert codes(Action.ENABLE_LOST_MODE, Platform.IOS) == ["params.message_or_phone_required"]
    assert codes(Action.ENABLE_LOST_MODE, Platform.IOS, footnote="x") == [
        "params.message_or_phone_required"]
    assert codes(Action.ENABLE_LOST_MODE, Platform.IOS, message="   ") == [
        "params.message_or_phone_required"]
    assert codes(Action.ENABLE_LOST_MODE, Platform.IOS, phone_number="+49 30 1") == []
    assert codes(Action.ENABLE_LOST_MODE, Platform.ANDROID, message="Call me") == []


@pytest.mark.parametrize("action", [Action.LOCK, Action.WIPE])
def test_mac_lock_and_wipe_need_a_pin(action):
    assert codes(action, Platform.MACOS) == ["params.pin_required"]
    assert codes(action, Platform.MACOS, pin="123456") == []
    assert codes(action, Platform.IOS) == []


def test_params_an_action_does_not_use_are_refused():
    assert codes(Action.LOCATE, Platform.IOS, message="hi") == ["params.not_accepted"]
    assert codes(Action.WIPE, Platform.IOS, pin="123456", footnote="x") == [
        "params.not_accepted"]


def test_every_problem_is_listed_at_once():
    problems = param_problems(Action.ENABLE_LOST_MODE, Platform.IOS, CommandParams(pin="123456"))
    assert {p.field for p in problems} == {"params.pin", "params.message"}
