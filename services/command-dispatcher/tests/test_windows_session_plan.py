"""Sent Windows commands: which a message may answer, which a broken session lost."""

from __future__ import annotations

import pytest
from command_dispatcher.windows.errors import ProtocolError
from command_dispatcher.windows.messages import Alert, Header, Message, Status
from command_dispatcher.windows.session import SentCommand
from command_dispatcher.windows.session_plan import (
    from_record,
    opens_session,
    plan_unanswered,
    to_record,
    windows_device_id,
)
from ssp_contracts.enums import Action

DEVICE, SERVER = "6F9A2C7D41B04E3F9A1B2C3D4E5F6071", "https://mdm.example.com/mdm/windows/omadm"


def _message(session_id: str, msg_id: str, *commands) -> Message:
    return Message(Header(session_id, msg_id, SERVER, DEVICE), tuple(commands))


def _sent(command_id: str, action: Action, session_id: str = "7") -> SentCommand:
    return SentCommand(command_id, action, session_id, "1", ("3", "4"))


def test_device_ids_are_prefixed_and_checked() -> None:
    assert windows_device_id(DEVICE) == f"windows-{DEVICE}"
    for bad in ("", "a/b", "x" * 101, "<DevId>"):
        with pytest.raises(ProtocolError):
            windows_device_id(bad)


def test_a_session_opens_with_its_first_message_or_alert_1201() -> None:
    assert opens_session(_message("7", "1"))
    assert opens_session(_message("7", "3", Alert("1", "1201")))
    assert not opens_session(_message("7", "2", Status("1", "1", "0", "SyncHdr", "200")))


def test_records_round_trip() -> None:
    sent = _sent("c1", Action.LOCATE)
    assert from_record("c1", Action.LOCATE, to_record(sent)) == sent
    assert from_record("c1", Action.LOCATE, None) is None


def test_the_same_session_may_answer_its_commands() -> None:
    sent = [("c1", Action.LOCATE, _sent("c1", Action.LOCATE)),
            ("c2", Action.WIPE, _sent("c2", Action.WIPE))]
    plan = plan_unanswered(_message("7", "2"), sent)
    assert [s.command_id for s in plan.awaiting] == ["c1", "c2"]
    assert plan.resend == () and plan.abandon == ()


def test_a_new_session_resends_reads_and_abandons_the_rest() -> None:
    sent = [(cid, action, _sent(cid, action)) for cid, action in (
        ("locate", Action.LOCATE), ("refresh", Action.REFRESH), ("wipe", Action.WIPE),
        ("reset", Action.RESET_PASSCODE))]
    for message in (_message("8", "1"), _message("7", "1", Alert("1", "1201"))):
        plan = plan_unanswered(message, sent)
        assert plan.awaiting == ()
        assert plan.resend == ("locate", "refresh")
        assert plan.abandon == ("wipe", "reset")


def test_a_sent_command_without_a_record_counts_as_lost() -> None:
    plan = plan_unanswered(_message("7", "2"), [("c1", Action.REFRESH, None),
                                                 ("c2", Action.RESET_PASSCODE, None)])
    assert plan.resend == ("c1",) and plan.abandon == ("c2",)
