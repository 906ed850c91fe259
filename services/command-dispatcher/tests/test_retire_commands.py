"""Retire (remove from management without wiping) as each platform's protocol says it."""

from __future__ import annotations

import itertools
import plistlib

import pytest
from command_dispatcher.android.commands import build_command as android_command
from command_dispatcher.android.commands import command_body, retire_by_delete
from command_dispatcher.android.errors import Unsupported as AndroidUnsupported
from command_dispatcher.apple.commands import build_command
from command_dispatcher.apple.errors import Unsupported as AppleUnsupported
from command_dispatcher.settings import Settings
from command_dispatcher.windows.commands import build_commands
from command_dispatcher.windows.errors import Unsupported as WindowsUnsupported
from command_dispatcher.windows.messages import Command, Item
from ssp_contracts.commands import CommandParams
from ssp_contracts.enums import Action, ManagementMode, Platform

M = ManagementMode


@pytest.mark.parametrize("platform", [Platform.IOS, Platform.MACOS])
def test_apple_removes_the_enrollment_profile_by_its_identifier(platform: Platform) -> None:
    body = build_command("cmd-1", Action.RETIRE, CommandParams(), platform,
                         mdm_profile="com.acme.mdm")
    assert plistlib.loads(body) == {"CommandUUID": "cmd-1", "Command": {
        "RequestType": "RemoveProfile", "Identifier": "com.acme.mdm"}}


def test_apple_retire_without_a_configured_identifier_is_refused() -> None:
    with pytest.raises(AppleUnsupported) as refused:
        build_command("cmd-1", Action.RETIRE, CommandParams(), Platform.IOS)
    assert refused.value.code == "config.no_mdm_profile_identifier"


def test_windows_executes_dmclient_unenroll_for_its_provider() -> None:
    built = build_commands(Action.RETIRE, itertools.count(3), provider_id="acme-mdm")
    assert built.commands == (Command("Exec", "3", (Item(
        target="./Vendor/MSFT/DMClient/Provider/acme-mdm/Unenroll", format="chr",
        type="text/plain", data="acme-mdm"),)),)
    assert built.cmd_ids == ("3",)
    with pytest.raises(WindowsUnsupported) as refused:
        build_commands(Action.RETIRE, itertools.count(1))
    assert refused.value.code == "config.no_provider_id"


def test_android_personal_devices_are_deleted_company_ones_relinquished() -> None:
    assert retire_by_delete(M.ANDROID_WORK_PROFILE_PERSONAL) is True
    assert retire_by_delete(M.ANDROID_WORK_PROFILE_COMPANY) is False
    relinquish = command_body(Action.RETIRE, CommandParams())
    assert relinquish is not None and relinquish.body == {"type": "RELINQUISH_OWNERSHIP"}


def test_android_never_retires_a_fully_managed_device_which_a_delete_would_reset() -> None:
    with pytest.raises(AndroidUnsupported) as refused:
        retire_by_delete(M.ANDROID_FULLY_MANAGED)
    assert refused.value.code == "unsupported.retire_android_fully_managed"
    with pytest.raises(AndroidUnsupported):
        android_command(Action.RETIRE, CommandParams(), M.ANDROID_FULLY_MANAGED)


def test_demo_mode_names_the_simulators_enrollment_and_production_what_it_is_told() -> None:
    demo = Settings(demo_mode=True)
    assert demo.mdm_profile_identifiers() == ("org.ssp.demo.mdm", {})
    assert demo.provider_id() == "ssp-demo"
    told = Settings(demo_mode=False, apple_mdm_profile_identifier="com.acme.mdm",
                    apple_mdm_profile_identifiers={"beta": "com.beta.mdm"},
                    windows_provider_id="acme")
    assert told.mdm_profile_identifiers() == ("com.acme.mdm", {"beta": "com.beta.mdm"})
    assert told.provider_id() == "acme"
    unset = Settings(demo_mode=False)
    assert unset.mdm_profile_identifiers() == (None, {}) and unset.provider_id() is None
