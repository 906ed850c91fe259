"""The AMAPI stand-in: body validation, command effects and its HTTP surface."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

import httpx
import pytest
from ssp_simulators.android import AmapiState, DeviceKind, create_app, new_device
from ssp_simulators.android.errors import ApiError
from ssp_simulators.android.fleet import DEFAULT_ENTERPRISE, populated_state
from ssp_simulators.android.validation import validate_command

MESSAGE = {"defaultMessage": "Please call"}


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.mark.parametrize(("body", "expected"), [
    ({"type": "LOCK"}, "LOCK"),
    ({"type": "LOCK", "duration": "600s"}, "LOCK"),
    ({"type": "RESET_PASSWORD", "newPassword": "824613",
      "resetPasswordFlags": ["REQUIRE_ENTRY", "LOCK_NOW"]}, "RESET_PASSWORD"),
    ({"type": "RESET_PASSWORD", "newPassword": "abc"}, "RESET_PASSWORD"),  # not numeric
    ({"startLostModeParams": {"lostEmailAddress": "it@example.com"}}, "START_LOST_MODE"),
    ({"type": "START_LOST_MODE", "startLostModeParams": {
        "lostMessage": {"defaultMessage": "hi", "localizedMessages": {"de": "hallo"}},
        "lostOrganization": MESSAGE, "lostStreetAddress": MESSAGE}}, "START_LOST_MODE"),
    ({"stopLostModeParams": {}}, "STOP_LOST_MODE"),
    ({"type": "WIPE", "wipeParams": {"wipeDataFlags": ["WIPE_ESIMS"],
                                     "wipeReason": {"defaultMessage": "x" * 200}}}, "WIPE"),
])
def test_valid_bodies(body: dict[str, Any], expected: str) -> None:
    assert validate_command(body, api_level=34) == expected


@pytest.mark.parametrize("body", [
    [], {}, {"type": "COMMAND_TYPE_UNSPECIFIED"}, {"type": "lock"}, {"type": "LOCK", "x": 1},
    {"type": "LOCK", "duration": "ten minutes"},
    {"type": "LOCK", "newPassword": "824613"},
    {"type": "RESET_PASSWORD", "newPassword": "12345"},
    {"type": "RESET_PASSWORD", "newPassword": 824613},
    {"type": "RESET_PASSWORD", "resetPasswordFlags": "REQUIRE_ENTRY"},
    {"type": "LOCK", "stopLostModeParams": {}},
    {"stopLostModeParams": {}, "startLostModeParams": {"lostMessage": MESSAGE}},
    {"type": "START_LOST_MODE"},
    {"type": "START_LOST_MODE", "startLostModeParams": {"lostOrganization": MESSAGE}},
    {"type": "START_LOST_MODE", "startLostModeParams": {"lostMessage": {"text": "hi"}}},
    {"type": "START_LOST_MODE", "startLostModeParams": {"lostEmailAddress": ["a@b.c"]}},
    {"type": "START_LOST_MODE", "startLostModeParams": {"lostMessage": {
        "defaultMessage": "hi", "localizedMessages": {"de": 1}}}},
    {"type": "STOP_LOST_MODE", "stopLostModeParams": {"force": True}},
    {"type": "WIPE", "wipeParams": {"wipeDataFlags": ["EVERYTHING"]}},
    {"type": "WIPE", "wipeParams": {"wipeReason": {"defaultMessage": "x" * 201}}},
])
def test_invalid_bodies(body: Any) -> None:
    with pytest.raises(ApiError) as caught:
        validate_command(body, api_level=34)
    assert (caught.value.http_status, caught.value.status) == (400, "INVALID_ARGUMENT")


def test_short_numeric_passwords_pass_on_older_android() -> None:
    assert validate_command({"type": "RESET_PASSWORD", "newPassword": "1234"},
                            api_level=33) == "RESET_PASSWORD"


def _state(kind: DeviceKind, *, api_level: int = 34, **options: Any) -> tuple[AmapiState, str]:
    state = AmapiState(**options)
    device = new_device(random.Random(1), kind, DEFAULT_ENTERPRISE)
    device.api_level = api_level
    state.add(device)
    return state, device.name


def _finish(state: AmapiState, name: str, body: dict[str, Any]) -> dict[str, Any]:
    operation = state.issue(name, body)
    state.settle()
    return operation.resource()


def test_relinquish_ownership_frees_a_company_owned_work_profile_device() -> None:
    state, name = _state(DeviceKind.WORK_PROFILE_COMPANY)
    done = _finish(state, name, {"type": "RELINQUISH_OWNERSHIP"})
    assert "errorCode" not in done["metadata"] and "error" not in done
    assert name in state.removed and name not in state.devices  # Google deletes the record
    assert [(e.command_type, e.outcome) for e in state.effects[name]] == [
        ("RELINQUISH_OWNERSHIP", "SUCCESS")]


@pytest.mark.parametrize(("kind", "api_level", "error"), [
    (DeviceKind.WORK_PROFILE_PERSONAL, 34, "MANAGEMENT_MODE"),
    (DeviceKind.FULLY_MANAGED, 34, "MANAGEMENT_MODE"),
    (DeviceKind.WORK_PROFILE_COMPANY, 25, "API_LEVEL"),
])
def test_relinquish_ownership_only_where_android_offers_it(kind, api_level, error) -> None:
    state, name = _state(kind, api_level=api_level)
    assert _finish(state, name, {"type": "RELINQUISH_OWNERSHIP"})["metadata"]["errorCode"] == \
        error
    assert name in state.devices


def test_operations_finish_after_the_delay() -> None:
    clock = Clock()
    state, name = _state(DeviceKind.FULLY_MANAGED, completion_delay_s=5, clock=clock)
    operation = state.issue(name, {"type": "LOCK"})
    state.settle()
    assert operation.resource()["done"] is False
    clock.now = 5.0
    state.settle()
    assert operation.resource()["done"] is True and state.devices[name].lock_count == 1
    assert [e.command_type for e in state.effects[name]] == ["LOCK"]


def test_lost_mode_needs_android_11_or_13() -> None:
    state, name = _state(DeviceKind.FULLY_MANAGED, api_level=29)
    start = {"startLostModeParams": {"lostMessage": MESSAGE}}
    assert _finish(state, name, start)["metadata"]["errorCode"] == "API_LEVEL"
    state, name = _state(DeviceKind.WORK_PROFILE_COMPANY, api_level=32)
    assert _finish(state, name, start)["metadata"]["errorCode"] == "API_LEVEL"
    state, name = _state(DeviceKind.WORK_PROFILE_COMPANY, api_level=33)
    assert _finish(state, name, start)["metadata"]["startLostModeStatus"] == {"status": "SUCCESS"}
    assert state.devices[name].resource()["appliedState"] == "LOST"


def test_user_exit_blocks_lost_mode_for_the_cooldown() -> None:
    state, name = _state(DeviceKind.FULLY_MANAGED, lost_mode_cooldown=timedelta(hours=12))
    start = {"startLostModeParams": {"lostMessage": MESSAGE}}
    _finish(state, name, start)
    state.user_exits_lost_mode(name)
    assert _finish(state, name, start)["metadata"]["startLostModeStatus"] == {
        "status": "USER_EXIT_LOST_MODE_RECENTLY"}


def test_unimplemented_command_types_fail_as_unsupported() -> None:
    state, name = _state(DeviceKind.FULLY_MANAGED)
    assert _finish(state, name, {"type": "REBOOT"})["metadata"]["errorCode"] == "UNSUPPORTED"


def test_personal_devices_hide_hardware_identifiers() -> None:
    state, name = _state(DeviceKind.WORK_PROFILE_PERSONAL)
    resource = state.devices[name].resource()
    assert resource["managementMode"] == "PROFILE_OWNER"
    assert resource["ownership"] == "PERSONALLY_OWNED"
    assert "serialNumber" not in resource["hardwareInfo"] and "imei" not in resource["networkInfo"]


def test_populated_state_cycles_the_kinds() -> None:
    kinds = [d.kind for d in populated_state(4, seed=3).devices.values()]
    assert kinds == [DeviceKind.FULLY_MANAGED, DeviceKind.WORK_PROFILE_PERSONAL,
                     DeviceKind.WORK_PROFILE_COMPANY, DeviceKind.FULLY_MANAGED]
    assert populated_state(2, seed=3).devices.keys() == populated_state(2, seed=3).devices.keys()


async def test_http_surface_answers_like_google() -> None:
    state = populated_state(3, seed=4)
    app = create_app(state, token="t")
    transport = httpx.ASGITransport(app=app)
    device = next(iter(state.devices))
    async with httpx.AsyncClient(transport=transport, base_url="http://amapi/v1") as client:
        denied = await client.get(f"/{device}")
        assert denied.status_code == 401
        assert denied.json()["error"]["status"] == "UNAUTHENTICATED"
        client.headers["Authorization"] = "Bearer t"
        assert (await client.get(f"/{device}")).json()["name"] == device
        bad_json = await client.post(f"/{device}:issueCommand", content=b"{")
        assert bad_json.json() == {"error": {"code": 400, "status": "INVALID_ARGUMENT",
                                             "message": "Invalid JSON payload received."}}
        missing = await client.post(f"/{DEFAULT_ENTERPRISE}/devices/none:issueCommand",
                                    json={"type": "LOCK"})
        assert missing.status_code == 404 and missing.json()["error"]["status"] == "NOT_FOUND"
        flags = await client.delete(f"/{device}", params={"wipeDataFlags": "ALL"})
        assert flags.status_code == 400
        bad_token = await client.get(f"/{DEFAULT_ENTERPRISE}/devices",
                                     params={"pageToken": "%%%"})
        assert bad_token.status_code == 400
        first = (await client.get(f"/{DEFAULT_ENTERPRISE}/devices")).json()
        assert len(first["devices"]) == 3 and "nextPageToken" not in first
        unknown = await client.get(f"/{DEFAULT_ENTERPRISE}/devices/x/operations/y")
        assert unknown.status_code == 404
