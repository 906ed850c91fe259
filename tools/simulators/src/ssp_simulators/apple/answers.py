"""How a simulated device answers one command: the report plist and the state change (no I/O)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ssp_simulators.apple.device import CommandRecord, DeviceKind, SimulatedDevice

# Apple's codes: 12021 "not a valid request type" (what a device says for a command it does
# not support, e.g. supervised-only on an unsupervised iPhone), 12067 "not in lost mode".
NOT_VALID_REQUEST_TYPE = 12021
NOT_IN_LOST_MODE = 12067
BAD_UNLOCK_TOKEN = 12023  # the simulator's choice; Apple's code for this case is not verified
PROFILE_NOT_INSTALLED = 1001  # the simulator's choice (MCProfileErrorDomain), not verified


@dataclass(frozen=True)
class Answer:
    report: dict[str, Any]
    erase_after_sending: bool = False  # EraseDevice: acknowledge first, then wipe
    # RemoveProfile of the enrollment profile: acknowledge first, then leave management
    unenroll_after_sending: bool = False


def idle_report(device: SimulatedDevice, *, user_channel: bool = False) -> dict[str, Any]:
    user = {"UserID": device.user_id} if user_channel and device.user_id else {}
    return {**device.identifier, "Status": "Idle", **user}


def _report(device: SimulatedDevice, uuid: str, status: str, **keys: Any) -> dict[str, Any]:
    return {**device.identifier, "CommandUUID": uuid, "Status": status, **keys}


def _error(device: SimulatedDevice, uuid: str, code: int, text: str,
           domain: str = "MCMDMErrorDomain") -> dict[str, Any]:
    chain = [{
        "ErrorCode": code, "ErrorDomain": domain,
        "LocalizedDescription": text, "USEnglishDescription": text,
    }]
    return _report(device, uuid, "Error", ErrorChain=chain)


def _supervised_ios(device: SimulatedDevice) -> bool:
    return device.kind is DeviceKind.IPHONE and device.supervised


def _enable_lost_mode(device: SimulatedDevice, uuid: str, cmd: dict[str, Any]) -> dict[str, Any]:
    if not (cmd.get("Message") or cmd.get("PhoneNumber")):
        return _report(device, uuid, "CommandFormatError")
    state = device.state
    state.lost_mode = True
    state.lost_message, state.lost_phone_number = cmd.get("Message"), cmd.get("PhoneNumber")
    state.lost_footnote = cmd.get("Footnote")
    return _report(device, uuid, "Acknowledged")


def _disable_lost_mode(device: SimulatedDevice, uuid: str, _: dict[str, Any]) -> dict[str, Any]:
    if not device.state.lost_mode:
        return _error(device, uuid, NOT_IN_LOST_MODE, "The device is not in lost mode.")
    device.state.lost_mode, device.state.sound_playing = False, False
    device.state.lost_message = device.state.lost_phone_number = device.state.lost_footnote = None
    return _report(device, uuid, "Acknowledged")


def _location(device: SimulatedDevice, uuid: str, now: datetime) -> dict[str, Any]:
    if not device.state.lost_mode:
        return _error(device, uuid, NOT_IN_LOST_MODE, "The device is not in lost mode.")
    return _report(
        device, uuid, "Acknowledged",
        Latitude=device.latitude, Longitude=device.longitude, HorizontalAccuracy=12.0,
        VerticalAccuracy=-1.0, Altitude=520.0, Speed=-1.0, Course=-1.0,  # negative: unknown
        Timestamp=now.strftime("%Y-%m-%dT%H:%M:%SZ"),
    )


def _play_sound(device: SimulatedDevice, uuid: str, _: dict[str, Any]) -> dict[str, Any]:
    if not device.state.lost_mode:
        return _error(device, uuid, NOT_IN_LOST_MODE, "The device is not in lost mode.")
    device.state.sound_playing = True
    return _report(device, uuid, "Acknowledged")


def _valid_pin(device: SimulatedDevice, cmd: dict[str, Any]) -> bool:
    """PIN is optional (Apple's device.lock.yaml, device.erase.yaml); a given one must be six
    digits, and an older Mac needs one."""
    pin = cmd.get("PIN")
    if pin is None:
        return not device.needs_pin
    return isinstance(pin, str) and len(pin) == 6 and pin.isdigit()


def _configured(device: SimulatedDevice, uuid: str, _: dict[str, Any]) -> dict[str, Any]:
    device.state.configured = True
    return _report(device, uuid, "Acknowledged")


def _lock(device: SimulatedDevice, uuid: str, cmd: dict[str, Any]) -> dict[str, Any]:
    if device.kind is DeviceKind.MAC and not _valid_pin(device, cmd):
        return _report(device, uuid, "CommandFormatError")
    if device.state.lost_mode:  # already locked harder than DeviceLock could
        return _report(device, uuid, "Acknowledged", MessageResult="DeviceInLostMode")
    device.state.lock_count += 1
    return _report(device, uuid, "Acknowledged", MessageResult="Success")


def _clear_passcode(device: SimulatedDevice, uuid: str, cmd: dict[str, Any]) -> dict[str, Any]:
    token = cmd.get("UnlockToken")
    if not isinstance(token, bytes):
        return _report(device, uuid, "CommandFormatError")
    if token != device.unlock_token:
        return _error(device, uuid, BAD_UNLOCK_TOKEN, "The unlock token is invalid.")
    device.state.passcode_set = False
    return _report(device, uuid, "Acknowledged")


def _information(device: SimulatedDevice, uuid: str, cmd: dict[str, Any]) -> dict[str, Any]:
    queries = cmd.get("Queries")
    if not isinstance(queries, list):
        return _report(device, uuid, "CommandFormatError")
    facts: dict[str, Any] = {
        "DeviceName": device.device_name, "OSVersion": device.os_version,
        "BuildVersion": device.build_version, "ModelName": device.model_name,
        "Model": device.model, "ProductName": device.product_name,
        "SerialNumber": device.serial_number, **device.identifier,
        "DeviceCapacity": device.capacity_gb, "AvailableDeviceCapacity": device.available_gb,
        "BatteryLevel": device.battery_level, "IsSupervised": device.supervised,
    }
    if device.kind is DeviceKind.IPHONE:  # iOS-only keys; a Mac leaves them out
        facts |= {"IsMDMLostModeEnabled": device.state.lost_mode}
        facts |= {"IMEI": device.imei} if device.imei else {}
    responses = {key: facts[key] for key in queries if key in facts}
    return _report(device, uuid, "Acknowledged", QueryResponses=responses)


def _remove_profile(device: SimulatedDevice, uuid: str, cmd: dict[str, Any]) -> Answer:
    identifier = cmd.get("Identifier")
    if not isinstance(identifier, str) or not identifier:
        return Answer(_report(device, uuid, "CommandFormatError"))
    if identifier != device.mdm_profile_identifier:  # the only profile a simulator holds
        return Answer(_error(device, uuid, PROFILE_NOT_INSTALLED,
                             f"The profile \u201c{identifier}\u201d is not installed.",
                             domain="MCProfileErrorDomain"))
    return Answer(_report(device, uuid, "Acknowledged"), unenroll_after_sending=True)


_Handler = Callable[[SimulatedDevice, str, dict[str, Any]], dict[str, Any]]
_IOS_SUPERVISED_ONLY: dict[str, _Handler] = {
    "EnableLostMode": _enable_lost_mode,
    "DisableLostMode": _disable_lost_mode,
    "PlayLostModeSound": _play_sound,
}
_ANY_DEVICE: dict[str, _Handler] = {"DeviceLock": _lock, "DeviceInformation": _information,
                                    "DeviceConfigured": _configured}


def _dispatch(device: SimulatedDevice, uuid: str, request_type: str, cmd: dict[str, Any],
              now: datetime) -> Answer:
    if device.user_enrollment and request_type in ("DeviceLock", "EraseDevice"):
        text = f"\u201c{request_type}\u201d is not allowed in User Enrollment."
        return Answer(_error(device, uuid, NOT_VALID_REQUEST_TYPE, text))
    if request_type == "EraseDevice":
        if device.kind is DeviceKind.MAC and not _valid_pin(device, cmd):
            return Answer(_report(device, uuid, "CommandFormatError"))
        return Answer(_report(device, uuid, "Acknowledged"), erase_after_sending=True)
    if request_type == "RemoveProfile":  # any device, User Enrollment too (profile.remove.yaml)
        return _remove_profile(device, uuid, cmd)
    if request_type == "DeviceLocation" and _supervised_ios(device):
        return Answer(_location(device, uuid, now))
    if request_type == "ClearPasscode" and device.kind is DeviceKind.IPHONE:
        return Answer(_clear_passcode(device, uuid, cmd))
    if request_type in _IOS_SUPERVISED_ONLY and _supervised_ios(device):
        return Answer(_IOS_SUPERVISED_ONLY[request_type](device, uuid, cmd))
    if request_type in _ANY_DEVICE:
        return Answer(_ANY_DEVICE[request_type](device, uuid, cmd))
    text = f"\u201c{request_type}\u201d is not a valid request type."
    return Answer(_error(device, uuid, NOT_VALID_REQUEST_TYPE, text))


def user_channel_answer(device: SimulatedDevice, command: dict[str, Any]) -> dict[str, Any]:
    """The user channel takes no device command (Apple's schema: DeviceLock, EraseDevice...
    "userchannel: false"): recorded, refused, never carried out."""
    uuid, cmd = str(command.get("CommandUUID", "")), command.get("Command")
    request_type = str(cmd.get("RequestType", "")) if isinstance(cmd, dict) else ""
    device.user_received.append(
        CommandRecord(uuid, request_type, "Error", False, datetime.now(UTC)))
    text = f"\u201c{request_type}\u201d is not a valid request type on the user channel."
    return _error(device, uuid, NOT_VALID_REQUEST_TYPE, text) | {"UserID": device.user_id}


def answer(
    device: SimulatedDevice, command: dict[str, Any], *, not_now: bool = False,
    now: datetime | None = None,
) -> Answer:
    """Carry out `command` (the server's whole plist) and record it; `not_now` declines it."""
    now = now or datetime.now(UTC)
    uuid, cmd = command.get("CommandUUID"), command.get("Command")
    if not isinstance(uuid, str) or not isinstance(cmd, dict):
        # Without a CommandUUID the device cannot even say which command was malformed.
        return Answer(_report(device, str(uuid or ""), "CommandFormatError"))
    request_type = str(cmd.get("RequestType", ""))
    result = (
        Answer(_report(device, uuid, "NotNow")) if not_now
        else _dispatch(device, uuid, request_type, cmd, now)
    )
    status = result.report["Status"]
    device.received.append(CommandRecord(uuid, request_type, status, status == "Acknowledged", now,
                                         frozenset(cmd) - {"RequestType"}))
    return result
