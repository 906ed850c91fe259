"""Reservations link a device to a user when it enrolls, unless someone else has it already."""

from datetime import UTC, datetime, timedelta

import pytest
from device_registry.domain.device_state import DeviceState, link
from device_registry.domain.reservations import Reservation, decide, match, reservation_for
from pydantic import ValidationError
from ssp_contracts.devices import DeviceIdentifiers, DeviceOwner
from ssp_contracts.enums import LinkSource, ManagementMode, Platform

NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
IDS = DeviceIdentifiers(serial_number="F2LXK0ABCD", imei="352099001761481",
                        enrollment_token="tok-1")


def reserve(kind: str, value: str, user: str = "u-1", **fields) -> Reservation:
    return Reservation(reservation_id=f"res-{kind}-{user}", org_id=fields.pop("org_id", "acme"),
                       kind=kind, value=value, user_id=user, **fields)


def test_values_are_normalised():
    assert reserve("serial_number", " f2lx k0abcd ").value == "F2LXK0ABCD"
    assert reserve("imei", "35-209900 176148-1").value == "352099001761481"
    assert reserve("enrollment_token", "  tok-1 ").value == "tok-1"


@pytest.mark.parametrize(("kind", "value"), [("imei", "n/a"), ("serial_number", "   ")])
def test_a_value_that_normalises_to_nothing_is_refused(kind, value):
    with pytest.raises(ValidationError):
        reserve(kind, value)


def test_expiry_must_carry_a_time_zone():
    with pytest.raises(ValidationError):
        reserve("serial_number", "X", expires_at=datetime(2026, 3, 2))


def test_matches_a_reported_identifier_in_any_spelling():
    reservation = reserve("serial_number", "f2lxk0abcd")
    found = match([reservation], DeviceIdentifiers(serial_number="F2LX K0ABCD"), NOW,
                  org_id="acme")
    assert found is reservation
    assert match([reservation], DeviceIdentifiers(serial_number="OTHER"), NOW,
                 org_id="acme") is None


def test_expired_and_consumed_reservations_do_not_match():
    expired = reserve("serial_number", "F2LXK0ABCD", expires_at=NOW)
    consumed = reserve("imei", "352099001761481", consumed=True)
    assert match([expired, consumed], IDS, NOW, org_id="acme") is None
    open_until_later = reserve("serial_number", "F2LXK0ABCD", expires_at=NOW + timedelta(hours=1))
    assert match([open_until_later], IDS, NOW, org_id="acme") is open_until_later


def test_another_tenants_reservation_never_matches():
    assert match([reserve("serial_number", "F2LXK0ABCD", org_id="globex")], IDS, NOW,
                 org_id="acme") is None


def test_the_most_specific_identifier_wins_then_the_first_given():
    by_imei = reserve("imei", "352099001761481", "u-imei")
    by_serial = reserve("serial_number", "F2LXK0ABCD", "u-serial")
    by_token = reserve("enrollment_token", "tok-1", "u-token")
    assert match([by_imei, by_serial, by_token], IDS, NOW, org_id="acme") is by_token
    assert match([by_imei, by_serial], IDS, NOW, org_id="acme") is by_serial
    second_serial = reserve("serial_number", "F2LXK0ABCD", "u-later")
    assert match([by_serial, second_serial], IDS, NOW, org_id="acme") is by_serial


def owner(user_id: str) -> DeviceOwner:
    return DeviceOwner(user_id=user_id, linked_at=NOW, source=LinkSource.MANUAL)


def test_decisions():
    reservation = reserve("serial_number", "F2LXK0ABCD", "u-1")
    free = decide(reservation, None)
    assert (free.outcome, free.links, free.consumes) == ("linked", True, True)
    same = decide(reservation, owner("u-1"))
    assert (same.outcome, same.links, same.consumes) == ("unchanged", False, True)
    taken = decide(reservation, owner("u-2"))
    assert (taken.outcome, taken.links, taken.consumes) == ("conflict", False, False)
    assert "u-2" in taken.detail and "u-1" in taken.detail


def device(**fields) -> DeviceState:
    return DeviceState(org_id="acme", device_id="dev-1", platform=Platform.IOS,
                       management_mode=ManagementMode.IOS_SUPERVISED, identifiers=IDS, **fields)


def test_reservation_for_a_device_applies_with_the_reservation_as_link_source():
    reservation = reserve("serial_number", "F2LXK0ABCD", "u-1")
    decision = reservation_for(device(), [reservation], NOW)
    assert decision is not None and decision.links
    linked = link(device(), reservation.owner(NOW, "alice"))
    assert linked.owner.source is LinkSource.RESERVATION and linked.owner.user_id == "u-1"
    assert reservation.consume().consumed and not reservation.consumed


def test_reservation_for_a_device_linked_to_someone_else_is_a_conflict():
    taken = link(device(), owner("u-2"))
    decision = reservation_for(taken, [reserve("imei", "352099001761481", "u-1")], NOW)
    assert decision.outcome == "conflict"


def test_reservation_for_nothing_reserved():
    assert reservation_for(device(), [], NOW) is None
