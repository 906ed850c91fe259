"""The Dispatcher object: which topics a process consumes, which routes it serves, which keys
it seals with. Building it connects to nothing."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

import pytest
from command_dispatcher.adapters import Refusal
from command_dispatcher.app import Dispatcher
from command_dispatcher.settings import Settings
from nacl.public import PrivateKey
from ssp_contracts.commands import CommandAuthorized
from ssp_contracts.enums import Action, ManagementMode, Platform, PlatformFamily
from ssp_contracts.topics import COMMAND_TOPIC_BY_FAMILY, COMMANDS_WINDOWS
from ssp_runtime.sealing import KeySettingError, demo_private_key, demo_public_key


def _settings(**values) -> Settings:
    return Settings(demo_mode=True, **values)


def _command_topics(dispatcher: Dispatcher) -> set[str]:
    return set(dispatcher.service.subs.topics) & set(COMMAND_TOPIC_BY_FAMILY.values())


def test_platform_selection_limits_the_consumed_topics_not_the_routes() -> None:
    dispatcher = Dispatcher(_settings(platforms=[PlatformFamily.WINDOWS]))
    assert _command_topics(dispatcher) == {COMMANDS_WINDOWS}
    paths = {route.path for route in dispatcher.devices.routes}
    assert paths == {"/mdm/apple/checkin", "/mdm/apple/connect", "/mdm/windows/omadm"}


def test_every_family_is_consumed_by_default_each_in_its_own_group() -> None:
    dispatcher = Dispatcher(_settings())
    assert _command_topics(dispatcher) == set(COMMAND_TOPIC_BY_FAMILY.values())


async def test_without_amapi_settings_android_commands_are_refused_clearly() -> None:
    dispatcher = Dispatcher(_settings())
    android = dispatcher.intake.adapters[PlatformFamily.ANDROID]
    now = datetime.now(UTC)
    request = CommandAuthorized(
        org_id="demo", command_id="c-1", device_id="android-1", action=Action.LOCK,
        requested_by="u-1", requested_at=now, platform=Platform.ANDROID,
        management_mode=ManagementMode.ANDROID_FULLY_MANAGED, authorized_at=now)
    with pytest.raises(Refusal) as refused:
        await android.check(request)
    assert refused.value.code == "android.not_configured"


def test_demo_mode_seals_to_the_documented_demo_key() -> None:
    assert _settings().sealing_key() == demo_public_key()
    assert bytes(PrivateKey(demo_private_key()).public_key) == demo_public_key()
    assert Settings(demo_mode=False).sealing_key() is None


def test_a_configured_gateway_key_wins_and_a_bad_one_fails_start_up() -> None:
    key = bytes(PrivateKey.generate().public_key)
    assert _settings(gateway_public_key=base64.b64encode(key).decode()).sealing_key() == key
    with pytest.raises(KeySettingError):
        _settings(gateway_public_key="c2hvcnQ=").sealing_key()
    with pytest.raises(KeySettingError):
        Dispatcher(_settings(gateway_public_key="not base64!"))
