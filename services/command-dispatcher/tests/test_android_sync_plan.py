"""What a devices.list means for the registry: enrolled, changed, left."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from itertools import count

from command_dispatcher.android.sync_plan import AndroidDevice, android_device_id, plan_sync
from ssp_contracts.enums import DeviceReportKind

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
NAME = "enterprises/LC01/devices/3f2a9c"


def _resource(name: str = NAME, **overrides) -> dict:
    return {"name": name, "managementMode": "PROFILE_OWNER", "ownership": "COMPANY_OWNED",
            "state": "ACTIVE", "appliedState": "ACTIVE",
            "lastStatusReportTime": "2025-03-01T11:42:10Z",
            "hardwareInfo": {"manufacturer": "Google", "model": "Pixel 8",
                             "serialNumber": "3A1B2C"}} | overrides


def _plan(known: dict[str, AndroidDevice], listed: list[dict]):
    ids = count(1)
    return plan_sync(known, listed, org_id="acme", now=NOW, new_id=lambda: f"r{next(ids)}")


def _known_after(steps) -> dict[str, AndroidDevice]:
    return {step.device.device_id: step.device for step in steps}


def test_device_ids_come_from_the_last_name_segment() -> None:
    assert android_device_id(NAME) == "android-3f2a9c"
    assert android_device_id("enterprises/LC01/devices/x/operations/1") is None
    assert android_device_id("enterprises/../devices/3f2a") is None


def test_a_new_device_is_enrolled_with_its_facts() -> None:
    [step] = _plan({}, [_resource()])
    assert step.report.kind is DeviceReportKind.ENROLLED
    assert step.report.org_id == "acme" and step.report.device_id == "android-3f2a9c"
    assert step.report.management_mode.value == "android_work_profile_company"
    assert step.report.identifiers.serial_number == "3A1B2C"
    assert step.device.enrolled and step.device.name == NAME


def test_unchanged_facts_stay_quiet_and_changes_are_inventory() -> None:
    known = _known_after(_plan({}, [_resource()]))
    assert _plan(known, [_resource()]) == []
    newer = _resource(lastStatusReportTime="2025-03-01T11:59:00Z",
                      hardwareInfo={"model": "Pixel 8", "serialNumber": "3A1B2C"})
    [step] = _plan(known, [newer])
    assert step.report.kind is DeviceReportKind.INVENTORY


def test_a_device_that_is_deleted_or_missing_leaves_once() -> None:
    known = _known_after(_plan({}, [_resource()]))
    [deleted] = _plan(known, [_resource(state="DELETED")])
    [missing] = _plan(known, [])
    for step in (deleted, missing):
        assert step.report.kind is DeviceReportKind.UNENROLLED
        assert not step.device.enrolled
    assert _plan(_known_after([missing]), []) == []


def test_a_device_that_comes_back_is_enrolled_again_in_its_org() -> None:
    known = {"android-3f2a9c": AndroidDevice("android-3f2a9c", NAME, "globex",
                                             "android_fully_managed", enrolled=False)}
    [step] = _plan(known, [_resource()])
    assert step.report.kind is DeviceReportKind.ENROLLED and step.report.org_id == "globex"


def test_names_google_would_never_give_are_skipped() -> None:
    assert _plan({}, [_resource(name="enterprises/LC01/devices/a b"), {"state": "ACTIVE"}]) == []


def test_a_changed_management_mode_is_reported() -> None:
    known = _known_after(_plan({}, [_resource()]))
    known = {k: replace(v, management_mode="android_fully_managed") for k, v in known.items()}
    [step] = _plan({k: replace(v, facts_digest="old") for k, v in known.items()}, [_resource()])
    assert step.device.management_mode == "android_work_profile_company"
