"""The command limits' fold: rate limits, the pending slot and the wipe breaker, decided from
the statuses folded into the book (the authority's own and the topic's)."""

from datetime import UTC, datetime, timedelta

from permission_service.domain.command_limits import LimitBook, LimitPolicy
from ssp_contracts.commands import CommandStatusChanged
from ssp_contracts.enums import Action, CommandStatus
from ssp_contracts.policy import (
    BREAKER_OPEN,
    COMMAND_PENDING,
    DEVICE_RATE_LIMITED,
    USER_RATE_LIMITED,
)

T0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)  # a window start for 600 s windows
POLICY = LimitPolicy(user_limit=5, user_window=timedelta(seconds=600), device_limit=3,
                     device_window=timedelta(seconds=600), wipe_max=2,
                     wipe_window=timedelta(seconds=600), wipe_open_for=timedelta(hours=1),
                     pending_for=timedelta(hours=24))


def status(command_id: str, state: CommandStatus, *, device: str = "d-1", user: str = "u-1",
           action: Action = Action.LOCK, at: datetime = T0,
           code: str | None = None) -> CommandStatusChanged:
    return CommandStatusChanged(
        org_id="acme", command_id=command_id, device_id=device, action=action, status=state,
        version=2, requested_by=user, reason_code=code, occurred_at=at)


def refusal(book: LimitBook, *, device: str = "d-1", user: str = "u-1",
            action: Action = Action.LOCK, at: datetime = T0) -> str | None:
    found = book.refusal(org_id="acme", user_id=user, device_id=device, action=action, now=at)
    return None if found is None else found.code


def test_a_pending_action_blocks_the_same_action_until_a_terminal_status():
    book = LimitBook(POLICY)
    book.fold(status("c-1", CommandStatus.AUTHORIZED))
    assert refusal(book) == COMMAND_PENDING
    assert refusal(book, action=Action.LOCATE) is None  # another action is free
    assert refusal(book, device="d-2") is None  # and so is another device
    book.fold(status("c-1", CommandStatus.SENT))
    assert refusal(book) == COMMAND_PENDING
    book.fold(status("c-1", CommandStatus.ACKNOWLEDGED))
    assert refusal(book) is None


def test_an_authorization_folded_after_its_terminal_status_does_not_block_again():
    book = LimitBook(POLICY)
    book.fold(status("c-1", CommandStatus.QUEUED))  # the dispatcher's status overtook it
    book.fold(status("c-1", CommandStatus.EXPIRED))
    book.fold(status("c-1", CommandStatus.AUTHORIZED))
    assert refusal(book) is None


def test_a_pending_command_stops_blocking_after_the_pending_time():
    book = LimitBook(POLICY)
    book.fold(status("c-1", CommandStatus.AUTHORIZED))
    assert refusal(book, at=T0 + timedelta(hours=24, seconds=1)) is None


def test_the_device_limit_counts_authorizations_once_per_window():
    book = LimitBook(POLICY)
    for n in range(3):
        book.fold(status(f"c-{n}", CommandStatus.AUTHORIZED, action=Action.REFRESH))
        book.fold(status(f"c-{n}", CommandStatus.AUTHORIZED, action=Action.REFRESH))  # again
        book.fold(status(f"c-{n}", CommandStatus.ACKNOWLEDGED, action=Action.REFRESH))
    assert refusal(book) == DEVICE_RATE_LIMITED
    assert refusal(book, device="d-2") is None
    assert refusal(book, at=T0 + timedelta(seconds=600)) is None  # the next window


def test_the_user_limit_spans_devices():
    book = LimitBook(POLICY)
    for n in range(5):
        book.fold(status(f"c-{n}", CommandStatus.AUTHORIZED, device=f"d-{n}"))
    assert refusal(book, device="d-9") == USER_RATE_LIMITED
    assert refusal(book, device="d-9", user="u-2") is None


def test_rejections_count_toward_no_limit():
    book = LimitBook(POLICY)
    for n in range(10):
        book.fold(status(f"c-{n}", CommandStatus.REJECTED, code="permission.missing"))
    assert refusal(book) is None


def test_the_wipe_after_the_maximum_trips_the_breaker_until_an_admin_resets_it():
    book = LimitBook(POLICY)
    for n in range(2):
        book.fold(status(f"w-{n}", CommandStatus.AUTHORIZED, device=f"d-{n}",
                         action=Action.WIPE))
    later = T0 + timedelta(seconds=1)
    assert refusal(book, device="d-5", action=Action.WIPE, at=later) == BREAKER_OPEN
    book.fold(status("w-3", CommandStatus.REJECTED, device="d-5", action=Action.WIPE,
                     at=later, code=BREAKER_OPEN))
    assert book.breaker("acme", later).until == later + timedelta(hours=1)
    # Open: refused even in a new window, until the reset
    next_window = T0 + timedelta(seconds=700)
    assert refusal(book, device="d-6", action=Action.WIPE, at=next_window) == BREAKER_OPEN
    assert book.reset_breaker("acme", next_window)
    assert refusal(book, device="d-6", action=Action.WIPE, at=next_window) is None
    # A reset restarts the count of the current window too
    assert not book.reset_breaker("acme", later + timedelta(seconds=2))  # older: ignored
    book2 = LimitBook(POLICY)
    book2.reset_breaker("acme", later)
    for n in range(2):  # authorized before the reset: they no longer count
        book2.fold(status(f"w-{n}", CommandStatus.AUTHORIZED, device=f"d-{n}",
                          action=Action.WIPE))
    book2.fold(status("w-3", CommandStatus.REJECTED, action=Action.WIPE, code=BREAKER_OPEN))
    assert refusal(book2, device="d-7", action=Action.WIPE, at=later) is None


def test_forget_undoes_a_fold_completely():
    book = LimitBook(POLICY)
    for n in range(2):
        book.fold(status(f"c-{n}", CommandStatus.AUTHORIZED, action=Action.REFRESH))
        book.fold(status(f"c-{n}", CommandStatus.ACKNOWLEDGED, action=Action.REFRESH))
    assert book.fold(status("c-9", CommandStatus.AUTHORIZED))
    assert refusal(book) == DEVICE_RATE_LIMITED
    book.forget("c-9")
    assert refusal(book) is None


def test_prune_keeps_what_a_decision_can_still_depend_on():
    book = LimitBook(POLICY)
    book.fold(status("c-1", CommandStatus.AUTHORIZED))
    book.fold(status("c-2", CommandStatus.AUTHORIZED, action=Action.REFRESH))
    book.fold(status("c-2", CommandStatus.ACKNOWLEDGED, action=Action.REFRESH))
    book.prune(T0 + timedelta(hours=1))
    assert refusal(book, at=T0 + timedelta(hours=1)) == COMMAND_PENDING
    assert not book.counts and list(book.commands) == ["c-1"]  # the finished one is gone
    book.prune(T0 + timedelta(hours=25))
    assert not book.commands and not book.pending
