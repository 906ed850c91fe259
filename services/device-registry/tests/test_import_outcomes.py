"""Each valid row's outcome follows from what the registry knows about device, user, owner."""

import pytest
from device_registry.domain.import_outcomes import count_outcomes, decide_row, to_apply
from ssp_contracts.links import ImportRow, ImportRowOutcome

DEVICES = {"S1": "dev-1", "S2": "dev-2", "S3": "dev-3"}
USERS = {"alice": "u-alice", "bob": "u-bob"}
OWNERS = {"dev-2": "u-alice", "dev-3": "u-bob"}


def row(device: str, user: str, line: int = 2) -> ImportRow:
    return ImportRow(line=line, device_key_kind="serial_number", device_key=device,
                     user_key_kind="username", user_key=user)


@pytest.mark.parametrize(("device", "user", "outcome", "ids"), [
    ("S1", "alice", "linked", ("dev-1", "u-alice")),
    ("S2", "alice", "unchanged", ("dev-2", "u-alice")),
    ("S3", "alice", "relinked", ("dev-3", "u-alice")),
    ("S9", "alice", "unknown_device", (None, None)),
    ("S1", "zoe", "unknown_user", ("dev-1", None)),
    ("S9", "zoe", "unknown_device", (None, None)),
])
def test_outcomes(device, user, outcome, ids):
    decision = decide_row(row(device, user), device_of=DEVICES, user_of=USERS, owner_of=OWNERS)
    assert decision.outcome.outcome == outcome
    assert (decision.device_id, decision.user_id) == ids
    assert decision.outcome.line == 2 and decision.outcome.device_key == device


def test_details_explain_what_an_admin_must_fix():
    def detail(device, user):
        return decide_row(row(device, user), device_of=DEVICES, user_of=USERS,
                          owner_of=OWNERS).outcome.detail

    assert detail("S9", "alice") == "no device with this serial_number"
    assert detail("S1", "zoe") == "no user with this username"
    assert detail("S3", "alice") == "was linked to user u-bob"
    assert detail("S1", "alice") is None


def test_lookups_may_be_callables():
    calls = []

    def device_of(key):
        calls.append(key)
        return "dev-1"

    decision = decide_row(row("S1", "bob"), device_of=device_of, user_of=USERS.get,
                          owner_of=lambda device_id: None)
    assert decision.outcome.outcome == "linked" and calls == ["S1"]


def test_dry_run_has_the_same_outcomes_and_applies_nothing():
    rows = [row("S1", "alice", 2), row("S2", "alice", 3), row("S3", "alice", 4)]
    decisions = [decide_row(r, device_of=DEVICES, user_of=USERS, owner_of=OWNERS) for r in rows]
    assert [d.outcome.outcome for d in decisions] == ["linked", "unchanged", "relinked"]
    assert list(to_apply(decisions, dry_run=True)) == []
    applied = list(to_apply(decisions, dry_run=False))
    assert [(d.device_id, d.user_id) for d in applied] == [
        ("dev-1", "u-alice"), ("dev-3", "u-alice"),
    ]


def test_counts_have_every_outcome_and_accumulate_across_chunks():
    def made(kind):
        return ImportRowOutcome(line=2, device_key="S", user_key="u", outcome=kind)

    first = count_outcomes([made("linked"), made("linked"), made("unknown_user")],
                           start={"invalid": 3})
    assert first == {"linked": 2, "unchanged": 0, "relinked": 0, "unknown_device": 0,
                     "unknown_user": 1, "duplicate_in_file": 0, "invalid": 3}
    second = count_outcomes([made("relinked")], start=first)
    assert second["relinked"] == 1 and second["linked"] == 2 and sum(second.values()) == 7
