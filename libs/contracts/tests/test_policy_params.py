"""Per-action parameter rules of the command policy (the contract already checks formats)."""

from __future__ import annotations

import pytest
from ssp_contracts.commands import CommandParams
from ssp_contracts.enums import Action, Platform
from ssp_contracts.policy import param_problems


def codes(action, platform, model=None, **params):
    return [p.code for p in param_problems(action, platform, CommandParams(**params), model)]


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


@pytest.mark.parametrize("action", [Action.LOCK, Action.WIPE])
@pytest.mark.parametrize(("model", "needs_pin"), [
    ("MacBookAir10,1", False),  # Apple silicon (M1)
    ("MacBook Air (Mac14,2)", False),  # Apple silicon, as the inventory stores it
    ("Macmini9,1", False), ("iMac21,1", False),
    ("MacBookPro15,1", False),  # Intel with the T2 chip (2018)
    ("iMacPro1,1", False), ("MacPro7,1", False), ("iMac20,1", False),
    ("MacBookPro14,1", True),  # Intel without T2 (2017): firmware lock with the PIN
    ("MacBookAir7,2", True), ("iMac19,1", True), ("MacBook10,1", True),
    (None, True), ("Some Mac", True),  # unknown: ask, the safe side
])
def test_a_mac_needs_a_pin_only_where_its_model_does(action, model, needs_pin):
    """Apple's schema (apple/device-management, mdm/commands/device.lock.yaml and
    device.erase.yaml) lists the key as "key: PIN ... type: <string> presence: optional
    content: The six-character PIN for Find My. This value is available in macOS 10.8 and
    later.", and device.erase.yaml adds: "this command uses Erase All Content and Settings
    (EACS) on Mac computers with the Apple M1 chip or the Apple T2 Security Chip". So the PIN
    is asked for only on older Macs (and unknown ones); where given anyway it is accepted."""
    assert codes(action, Platform.MACOS, model) == (["params.pin_required"] if needs_pin else [])
    assert codes(action, Platform.MACOS, model, pin="123456") == []


def test_params_an_action_does_not_use_are_refused():
    assert codes(Action.LOCATE, Platform.IOS, message="hi") == ["params.not_accepted"]
    assert codes(Action.WIPE, Platform.IOS, pin="123456", footnote="x") == [
        "params.not_accepted"]


def test_every_problem_is_listed_at_once():
    problems = param_problems(Action.ENABLE_LOST_MODE, Platform.IOS, CommandParams(pin="123456"))
    assert {p.field for p in problems} == {"params.pin", "params.message"}
