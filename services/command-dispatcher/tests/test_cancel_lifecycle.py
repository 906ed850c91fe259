"""The requester's cancel in the pure lifecycle: queued -> canceled; sent or ended -> refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from command_dispatcher.lifecycle import (
    CANCELED_BY_REQUESTER,
    CancelRefused,
    accept,
    cancel,
    cancel_before_queue,
    to_status_event,
    transition,
)
from ssp_contracts.commands import (
    FIRST_DISPATCH_VERSION,
    CommandAuthorized,
    CommandCancelRequested,
)
from ssp_contracts.enums import Action, CommandStatus, ManagementMode, Platform

S = CommandStatus
T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
LATER = T0 + timedelta(seconds=30)


def _queued(platform: Platform = Platform.IOS,
            mode: ManagementMode = ManagementMode.IOS_SUPERVISED):
    return accept(CommandAuthorized(
        org_id="acme", command_id="cmd-1", device_id="dev-1", action=Action.LOCK,
        requested_by="u-1", requested_at=T0, platform=platform, management_mode=mode,
        authorized_at=T0), T0)


def test_a_queued_command_is_canceled_by_its_requester() -> None:
    queued = _queued()
    canceled = cancel(queued, "u-1", LATER)
    assert canceled.status is S.CANCELED
    assert canceled.version == queued.version + 1
    assert canceled.reason_code == CANCELED_BY_REQUESTER
    assert canceled.history[-1] == ("canceled", LATER)
    event = to_status_event(canceled, LATER)
    assert event.status is S.CANCELED and event.reason_code == CANCELED_BY_REQUESTER
    # Terminal: nothing may follow, not even the device fetching it.
    with pytest.raises(Exception, match="not allowed"):
        transition(canceled, S.SENT, LATER)


def test_a_sent_command_is_refused_with_a_restated_status() -> None:
    sent = transition(_queued(), S.SENT, LATER)
    with pytest.raises(CancelRefused) as refused:
        cancel(sent, "u-1", LATER)
    assert refused.value.code == "cancel_refused.sent"
    notice = refused.value.notice
    assert notice is not None
    assert notice.status is S.SENT and notice.version == sent.version + 1
    assert notice.reason_code == "cancel_refused.sent" and "already sent" in (notice.reason or "")
    assert notice.attempts == sent.attempts  # restating is not another send
    # The device's answer still settles it, and clears the refusal's reason.
    done = transition(notice, S.ACKNOWLEDGED, LATER)
    assert done.status is S.ACKNOWLEDGED and done.reason_code is None


@pytest.mark.parametrize("ended", [S.ACKNOWLEDGED, S.FAILED, S.EXPIRED, S.CANCELED])
def test_an_ended_command_is_refused_and_keeps_its_outcome(ended: CommandStatus) -> None:
    finished = transition(_queued(), ended, LATER, reason_code="was")
    with pytest.raises(CancelRefused) as refused:
        cancel(finished, "u-1", LATER)
    assert refused.value.code == "cancel_refused.final"
    assert refused.value.notice is None  # nothing published: the outcome stands as it was


def test_only_the_requester_may_cancel() -> None:
    with pytest.raises(CancelRefused) as refused:
        cancel(_queued(), "u-2", LATER)
    assert refused.value.code == "cancel_refused.not_requester"
    assert refused.value.notice is None


@pytest.mark.parametrize(("platform", "mode"), [
    (Platform.ANDROID, ManagementMode.ANDROID_FULLY_MANAGED),
    (Platform.WINDOWS, ManagementMode.WINDOWS)])
def test_platforms_that_hand_commands_on_at_once_refuse(platform: Platform,
                                                         mode: ManagementMode) -> None:
    queued = _queued(platform, mode)
    with pytest.raises(CancelRefused) as refused:
        cancel(queued, "u-1", LATER)
    assert refused.value.code == "cancel_refused.platform"
    assert refused.value.notice is not None and refused.value.notice.status is S.QUEUED


def test_a_cancel_that_overtook_its_command_ends_it_before_the_queue() -> None:
    event = cancel_before_queue(CommandCancelRequested(
        org_id="acme", command_id="cmd-9", device_id="dev-1", action=Action.LOCK,
        requested_by="u-1", requested_at=T0), LATER)
    assert event.status is S.CANCELED and event.version == FIRST_DISPATCH_VERSION
    assert event.reason_code == CANCELED_BY_REQUESTER
    assert (event.command_id, event.device_id, event.requested_by) == ("cmd-9", "dev-1", "u-1")
