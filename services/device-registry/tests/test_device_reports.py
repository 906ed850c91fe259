"""Folding what devices report about themselves into the registry's device state."""

from datetime import UTC, datetime, timedelta

import pytest
from device_registry.domain.device_state import DeviceState, apply_report, link, to_snapshot
from device_registry.domain.errors import DeviceMismatch
from ssp_contracts.devices import (
    DeviceIdentifiers,
    DeviceInventory,
    DeviceOwner,
    DeviceReported,
    DeviceSnapshot,
)
from ssp_contracts.enums import DeviceReportKind, LinkSource, ManagementMode, Platform

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def report(kind: str, at: datetime = T0, **fields) -> DeviceReported:
    values = {
        "org_id": "acme", "report_id": f"r-{kind}-{at.timestamp()}", "device_id": "dev-1",
        "kind": DeviceReportKind(kind), "platform": Platform.IOS,
        "management_mode": ManagementMode.IOS_SUPERVISED, "occurred_at": at,
    }
    return DeviceReported(**(values | fields))


def enrolled() -> DeviceState:
    return apply_report(None, report("enrolled", identifiers=DeviceIdentifiers(
        serial_number="F2LXK0ABCD", udid="0000-1")))


def test_first_enrollment_creates_the_device_at_version_1():
    state = enrolled()
    assert (state.org_id, state.device_id, state.version) == ("acme", "dev-1", 1)
    assert state.enrolled and state.enrolled_at == T0 and state.last_contact_at == T0
    assert state.identifiers.serial_number == "F2LXK0ABCD"


@pytest.mark.parametrize(("kind", "is_enrolled"), [("checked_in", True), ("inventory", True),
                                                   ("unenrolled", False)])
def test_any_first_report_creates_the_device(kind, is_enrolled):
    state = apply_report(None, report(kind))
    assert state.version == 1 and state.enrolled is is_enrolled and state.enrolled_at is None


def test_check_in_moves_last_contact_forward_only():
    state = enrolled()
    later = apply_report(state, report("checked_in", T0 + timedelta(minutes=5)))
    assert later.last_contact_at == T0 + timedelta(minutes=5) and later.version == 2
    assert apply_report(later, report("checked_in", T0 + timedelta(minutes=1))) is later


def test_inventory_merges_present_fields_and_keeps_unknown_ones():
    state = apply_report(enrolled(), report("inventory", inventory=DeviceInventory(
        name="Alice's iPhone", model="iPhone15,2", os_version="17.4", battery_level=0.8,
        storage_total_bytes=128_000_000_000, storage_free_bytes=60_000_000_000)))
    assert state.version == 2
    partial = apply_report(state, report("inventory", T0 + timedelta(hours=1),
                                         inventory=DeviceInventory(battery_level=0.5)))
    assert partial.battery_level == 0.5
    assert (partial.name, partial.os_version, partial.storage_free_bytes) == (
        "Alice's iPhone", "17.4", 60_000_000_000)
    assert partial.version == 3


def test_inventory_lost_mode_reported_by_the_device_is_taken():
    state = apply_report(enrolled(), report("inventory", inventory=DeviceInventory(lost_mode=True)))
    assert state.lost_mode is True


def test_identifiers_merge_without_losing_known_ones():
    state = apply_report(enrolled(), report("checked_in", T0 + timedelta(seconds=1),
                                            identifiers=DeviceIdentifiers(imei="35209900")))
    assert state.identifiers.serial_number == "F2LXK0ABCD" and state.identifiers.imei == "35209900"


def test_unenroll_then_enroll_again():
    gone = apply_report(enrolled(), report("unenrolled", T0 + timedelta(days=1)))
    assert not gone.enrolled and gone.version == 2
    back = apply_report(gone, report("enrolled", T0 + timedelta(days=2),
                                     management_mode=ManagementMode.IOS_DEVICE_ENROLLMENT))
    assert back.enrolled and back.enrolled_at == T0 + timedelta(days=2)
    assert back.management_mode is ManagementMode.IOS_DEVICE_ENROLLMENT and back.version == 3


def test_an_erased_device_that_enrolls_again_is_no_longer_wiped():
    wiped = enrolled().model_copy(update={"wipe_state": "wiped"})
    assert apply_report(wiped, report("enrolled", T0 + timedelta(days=1))).wipe_state == "none"
    pending = enrolled().model_copy(update={"wipe_state": "pending"})
    assert apply_report(pending, report("enrolled", T0 + timedelta(days=1))).wipe_state == "pending"


def test_a_report_that_changes_nothing_returns_the_same_state():
    state = apply_report(enrolled(), report("checked_in", T0 + timedelta(minutes=1)))
    assert apply_report(state, report("checked_in", T0 + timedelta(minutes=1))) is state


def test_naive_times_are_taken_as_utc():
    state = enrolled()
    naive = report("checked_in", datetime(2026, 3, 1, 10, 0))
    assert apply_report(state, naive).last_contact_at == datetime(2026, 3, 1, 10, 0)


@pytest.mark.parametrize("other", [{"org_id": "globex"}, {"device_id": "dev-2"}])
def test_a_report_for_another_device_or_tenant_is_refused(other):
    with pytest.raises(DeviceMismatch):
        apply_report(enrolled(), report("checked_in", **other))


def owner(user_id: str, username: str | None = None, at: datetime = T0) -> DeviceOwner:
    return DeviceOwner(user_id=user_id, username=username, linked_at=at, source=LinkSource.CSV)


def test_link_sets_replaces_and_removes_the_owner():
    state = link(enrolled(), owner("u-1", "alice"))
    assert state.owner.user_id == "u-1" and state.version == 2
    other = link(state, owner("u-2"))
    assert other.owner.user_id == "u-2" and other.version == 3
    removed = link(other, None)
    assert removed.owner is None and removed.version == 4
    assert link(removed, None) is removed


def test_linking_the_same_owner_again_keeps_the_first_link():
    state = link(enrolled(), owner("u-1", "alice"))
    assert link(state, owner("u-1", None, T0 + timedelta(days=1))) is state
    renamed = link(state, owner("u-1", "alice.b", T0 + timedelta(days=1)))
    assert renamed.owner.username == "alice.b" and renamed.owner.linked_at == T0


def test_state_mirrors_the_snapshot_field_for_field():
    assert set(DeviceState.model_fields) == set(DeviceSnapshot.model_fields)


def test_to_snapshot():
    state = link(enrolled(), owner("u-1", "alice"))
    snapshot = to_snapshot(state)
    assert isinstance(snapshot, DeviceSnapshot)
    assert snapshot.model_dump() == state.model_dump()
    assert snapshot.subject() == "dev-1"
