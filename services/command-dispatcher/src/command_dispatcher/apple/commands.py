"""Building the command plist the server returns to a device's `connect` request."""

from __future__ import annotations

import plistlib
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from ssp_contracts.commands import CommandParams
from ssp_contracts.enums import Action, Platform

from command_dispatcher.apple.errors import InvalidParameters, Unsupported

# What the reply to `connect` is, for the edge's Content-Type header (an empty 200 has none).
COMMAND_CONTENT_TYPE = "application/xml"

REQUEST_TYPE_OF_ACTION: dict[Action, str] = {
    Action.ENABLE_LOST_MODE: "EnableLostMode",
    Action.DISABLE_LOST_MODE: "DisableLostMode",
    Action.LOCATE: "DeviceLocation",
    Action.LOCK: "DeviceLock",
    Action.WIPE: "EraseDevice",
    Action.RESET_PASSCODE: "ClearPasscode",
    Action.REFRESH: "DeviceInformation",
    Action.RETIRE: "RemoveProfile",
}

# PayloadIdentifier of the enrollment profile demo devices (the simulator's) install; outside
# demo mode the operator names the one their devices got (SSP_APPLE_MDM_PROFILE_IDENTIFIER).
DEMO_MDM_PROFILE_IDENTIFIER = "org.ssp.demo.mdm"

# Everything the portal shows about a device, asked for in one DeviceInformation command.
INVENTORY_QUERIES: tuple[str, ...] = (
    "DeviceName", "OSVersion", "BuildVersion", "ModelName", "Model", "ProductName",
    "SerialNumber", "DeviceCapacity", "AvailableDeviceCapacity", "BatteryLevel", "IMEI",
    "IsSupervised", "IsMDMLostModeEnabled",
)

# Apple defines these only for iOS/iPadOS (AppleDM mdm/commands); a Mac answers 12021.
_IOS_ONLY = frozenset(
    {Action.ENABLE_LOST_MODE, Action.DISABLE_LOST_MODE, Action.LOCATE, Action.RESET_PASSCODE}
)


class EraseOptions(BaseModel):
    """An org's EraseDevice options for iPhones and iPads (Apple's device.erase.yaml; macOS
    has neither key)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    preserve_data_plan: bool = Field(
        False, description="PreserveDataPlan: keep the eSIM data plan (iOS 11+)")
    disallow_proximity_setup: bool = Field(
        False, description="DisallowProximitySetup: skip Proximity Setup after the erase "
        "(iOS 11.3+)")

    def keys(self) -> dict[str, Any]:
        """Only the options that are on: Apple's defaults are false."""
        return {key: True for key, on in (("PreserveDataPlan", self.preserve_data_plan),
                                          ("DisallowProximitySetup",
                                           self.disallow_proximity_setup)) if on}


def _present(**keys: str | None) -> dict[str, Any]:
    # Absent parameters are left out: an empty <string/> would show as blank text on the device.
    return {key: value for key, value in keys.items() if value}


def _lost_mode(params: CommandParams) -> dict[str, Any]:
    if not (params.message or params.phone_number):
        raise InvalidParameters(
            "params.lost_mode_contact", "EnableLostMode needs a message or a phone number"
        )
    return _present(
        Message=params.message, PhoneNumber=params.phone_number, Footnote=params.footnote
    )


def _mac_pin(params: CommandParams, platform: Platform) -> dict[str, Any]:
    """PIN is optional in Apple's schema for DeviceLock and EraseDevice on macOS
    (device.lock.yaml, device.erase.yaml: "presence: optional"): Macs with a T2 chip or Apple
    silicon lock and erase without it; only older Macs need it to set a Find My PIN. So it is
    sent when given, and a PIN-less command is never refused here."""
    if platform is not Platform.MACOS or params.pin is None:
        return {}  # iOS has no PIN key; sending it would only leak it into device logs
    return {"PIN": params.pin}


def _remove_enrollment(mdm_profile: str | None) -> dict[str, Any]:
    """RemoveProfile (profile.remove.yaml) naming the enrollment profile itself: the device
    removes the MDM payload and everything installed through it (managed apps and their data,
    profiles), then stops talking to this server; nothing else on it is touched. Allowed in
    User Enrollment; needs the AllowInstallationRemoval access right."""
    if not mdm_profile:
        raise Unsupported(
            "config.no_mdm_profile_identifier",
            "the enrollment profile's PayloadIdentifier is not configured "
            "(SSP_APPLE_MDM_PROFILE_IDENTIFIER); the device cannot be removed from management",
        )
    return {"Identifier": mdm_profile}


def _payload(
    action: Action, params: CommandParams, platform: Platform, unlock_token: bytes | None,
    erase: EraseOptions, mdm_profile: str | None,
) -> dict[str, Any]:
    if action is Action.ENABLE_LOST_MODE:
        return _lost_mode(params)
    if action is Action.LOCK:
        return _present(Message=params.message, PhoneNumber=params.phone_number) | \
            _mac_pin(params, platform)
    if action is Action.WIPE:
        return _mac_pin(params, platform) if platform is Platform.MACOS else erase.keys()
    if action is Action.RESET_PASSCODE:
        if not unlock_token:
            raise Unsupported(
                "unsupported.no_unlock_token",
                "no UnlockToken stored for this device; its passcode cannot be cleared",
            )
        return {"UnlockToken": unlock_token}
    if action is Action.REFRESH:
        return {"Queries": list(INVENTORY_QUERIES)}
    if action is Action.RETIRE:
        return _remove_enrollment(mdm_profile)
    return {}  # DisableLostMode and DeviceLocation carry no payload


def _command_plist(command_id: str, request_type: str, payload: dict[str, Any]) -> bytes:
    if not command_id:
        raise InvalidParameters("params.command_id", "a command needs a CommandUUID")
    command = {"RequestType": request_type, **payload}
    return plistlib.dumps({"CommandUUID": command_id, "Command": command}, fmt=plistlib.FMT_XML)


def build_command(
    command_id: str,
    action: Action,
    params: CommandParams,
    platform: Platform,
    unlock_token: bytes | None = None,
    erase: EraseOptions | None = None,
    mdm_profile: str | None = None,
) -> bytes:
    """The XML plist `{CommandUUID, Command: {RequestType, ...}}` for one portal action;
    `erase`: the device's org's EraseDevice options; `mdm_profile`: the PayloadIdentifier of
    the enrollment profile its org's devices install (for retire)."""
    if platform not in (Platform.IOS, Platform.MACOS):
        raise Unsupported("unsupported.platform", f"{platform.value} is not an Apple platform")
    if platform is Platform.MACOS and action in _IOS_ONLY:
        raise Unsupported("unsupported.macos", f"{action.value} does not exist on macOS")
    request_type = REQUEST_TYPE_OF_ACTION[action]
    payload = _payload(action, params, platform, unlock_token, erase or EraseOptions(),
                       mdm_profile)
    return _command_plist(command_id, request_type, payload)


def build_play_sound(command_id: str) -> bytes:
    """PlayLostModeSound: supervised iOS 10.3+ in lost mode; not a portal action (yet)."""
    return _command_plist(command_id, "PlayLostModeSound", {})


def build_device_configured(command_id: str) -> bytes:
    """DeviceConfigured: lets a device waiting in Setup Assistant (TokenUpdate
    `AwaitingConfiguration`) go on; this server has nothing to configure before that."""
    return _command_plist(command_id, "DeviceConfigured", {})
