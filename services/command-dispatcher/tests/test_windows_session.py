"""Pure OMA-DM session logic: answering a device, matching its answers to commands."""

from __future__ import annotations

from command_dispatcher.windows.messages import (
    Alert,
    Command,
    Container,
    Header,
    Item,
    Message,
    Results,
    Status,
)
from command_dispatcher.windows.session import PendingCommand, SentCommand, reply, settle
from command_dispatcher.windows.syncml import parse_message
from ssp_contracts.enums import Action

DEVICE, SERVER = "6F9A2C7D41B04E3F9A1B2C3D4E5F6071", "https://mdm.example.com/mdm/windows/omadm"


def _opening(session_id: str = "1") -> Message:
    return Message(Header(session_id, "1", SERVER, DEVICE), (
        Alert("1", "1201"),
        Alert("2", "1224", (Item(type="com.microsoft/MDM/LoginStatus", data="user"),)),
        Command("Replace", "3", (Item(source="./DevInfo/DevId", data=DEVICE),)),
    ))


def test_reply_acknowledges_then_sends_commands() -> None:
    answer = reply(_opening(), [PendingCommand("cmd-wipe", Action.WIPE),
                                PendingCommand("cmd-locate", Action.LOCATE)])
    message = parse_message(answer.body)
    assert message == answer.message
    assert message.header == Header("1", "1", DEVICE, SERVER)
    statuses = [(s.cmd_ref, s.cmd, s.data, s.msg_ref) for s in message.statuses]
    assert statuses == [("0", "SyncHdr", "200", "1"), ("1", "Alert", "200", "1"),
                        ("2", "Alert", "200", "1"), ("3", "Replace", "200", "1")]
    assert [c.verb for c in message.requests] == ["Exec", "Atomic"]
    assert message.final and not answer.ends_session and answer.refused == ()
    ids = [c.cmd_id for c in message.commands]
    ids += [i.cmd_id for c in message.requests if isinstance(c, Container) for i in c.commands]
    assert len(ids) == len(set(ids))  # CmdIDs unique in the message
    assert [(s.command_id, s.msg_id, s.session_id) for s in answer.sent] == [
        ("cmd-wipe", "1", "1"), ("cmd-locate", "1", "1")]


def test_no_pending_commands_ends_the_session() -> None:
    answer = reply(_opening(), [], server_uri="https://other/omadm")
    assert answer.ends_session and answer.sent == ()
    assert [type(c) for c in answer.message.commands] == [Status] * 4
    assert answer.message.header.source == "https://other/omadm"


def test_unsupported_actions_are_refused_not_sent() -> None:
    answer = reply(_opening(), [PendingCommand("cmd-lock", Action.LOCK)])
    assert answer.ends_session and answer.sent == ()
    (refused,) = answer.refused
    assert refused.command_id == "cmd-lock" and refused.result.outcome == "failed"
    assert refused.result.platform_status == "unsupported.lock_windows"


def test_device_answers_settle_their_commands() -> None:
    first = reply(_opening(), [PendingCommand("cmd-locate", Action.LOCATE),
                               PendingCommand("cmd-wipe", Action.WIPE)])
    locate_sent, wipe_sent = first.sent
    atomic_id, sequence_id, *get_ids = locate_sent.cmd_ids
    second = Message(Header("1", "2", SERVER, DEVICE), (
        Status("1", "1", "0", "SyncHdr", "200"),
        Status("2", "1", atomic_id, "Atomic", "200"),
        Status("3", "1", sequence_id, "Sequence", "200"),
        *(Status(str(4 + n), "1", get_id, "Get", "200") for n, get_id in enumerate(get_ids)),
        Results("20", "1", get_ids[0], (Item(
            source="./Vendor/MSFT/RemoteFind/Location/Latitude", data="48.1"),)),
        Results("21", "1", get_ids[1], (Item(
            source="./Vendor/MSFT/RemoteFind/Location/Longitude", data="11.5"),)),
    ))
    settled = settle(second, first.sent)
    assert [(s.command_id, s.result.outcome) for s in settled] == [
        ("cmd-locate", "acknowledged")]
    location = settled[0].result.location
    assert location is not None and (location.latitude, location.longitude) == (48.1, 11.5)
    # The wipe has no Status yet: it stays awaited. Results get a Status back.
    closing = reply(second, [])
    assert [(s.cmd, s.data) for s in closing.message.statuses] == [
        ("SyncHdr", "200"), ("Results", "200"), ("Results", "200")]
    assert closing.message.header.msg_id == "2" and closing.ends_session
    assert wipe_sent.command_id == "cmd-wipe"


def test_answers_from_another_session_never_match() -> None:
    sent = SentCommand("cmd-wipe", Action.WIPE, "1", "1", ("5",))
    other_session = Message(Header("2", "2", SERVER, DEVICE),
                            (Status("1", "1", "5", "Exec", "200"),))
    assert settle(other_session, [sent]) == []
    wrong_message = Message(Header("1", "3", SERVER, DEVICE),
                            (Status("1", "2", "5", "Exec", "200"),))
    assert settle(wrong_message, [sent]) == []


def test_commands_a_device_should_not_send_get_406() -> None:
    odd = Message(Header("1", "1", SERVER, DEVICE), (
        Alert("1", "1201"), Command("Get", "2", (Item(target="./x"),)),
        Container("Atomic", "3", ()),
    ))
    codes = [(s.cmd, s.data) for s in reply(odd, []).message.statuses]
    assert codes == [("SyncHdr", "200"), ("Alert", "200"), ("Get", "406"), ("Atomic", "406")]
