"""Which sent commands a device message can answer, and what happens to those a session lost.

OMA-DM answers arrive in the next message of the same session. A device that opens a new
session has dropped the old one, so every command still awaiting an answer was lost on the way
or run without the answer reaching us. Reading commands (locate, refresh) are simply sent
again; a wipe or a passcode reset is failed instead, since running it twice could do harm
(a second PIN reset would change the PIN its owner was just told). Pure: no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ssp_contracts.enums import Action

from command_dispatcher.windows.errors import ProtocolError
from command_dispatcher.windows.messages import SESSION_ALERT, Message
from command_dispatcher.windows.session import SentCommand

RESENDABLE = frozenset({Action.LOCATE, Action.REFRESH})
LOST_IN_SESSION = ("session_interrupted",
                   "The device's management session broke off before it confirmed this "
                   "command. It is not sent again because running it twice could do harm; "
                   "check the device and request the action again if needed.")
_DEV_ID = re.compile(r"[A-Za-z0-9_.:-]{1,100}")


def windows_device_id(dev_id: str) -> str:
    """The portal's id for a Windows device, from its DevId (the Source of its messages)."""
    if not _DEV_ID.fullmatch(dev_id):
        raise ProtocolError("syncml.device_id", "the device id has characters or a length "
                            "this server does not accept")
    return f"windows-{dev_id}"


def opens_session(message: Message) -> bool:
    return message.header.msg_id == "1" or any(
        alert.code == SESSION_ALERT for alert in message.alerts)


def to_record(sent: SentCommand) -> dict[str, Any]:
    """What the command document keeps so the next message's answers can be matched."""
    return {"session_id": sent.session_id, "msg_id": sent.msg_id, "cmd_ids": list(sent.cmd_ids)}


def from_record(command_id: str, action: Action,
                record: Mapping[str, Any] | None) -> SentCommand | None:
    if not record:
        return None
    return SentCommand(command_id, action, str(record["session_id"]), str(record["msg_id"]),
                       tuple(str(i) for i in record.get("cmd_ids") or ()))


@dataclass(frozen=True)
class SessionPlan:
    awaiting: tuple[SentCommand, ...]  # this message may answer them
    resend: tuple[str, ...]  # command ids to queue again for this session
    abandon: tuple[str, ...]  # command ids to fail with LOST_IN_SESSION


def plan_unanswered(message: Message,
                    sent: Sequence[tuple[str, Action, SentCommand | None]]) -> SessionPlan:
    """`sent`: (command id, action, where it went) of every command in status `sent`."""
    new_session = opens_session(message)
    awaiting: list[SentCommand] = []
    resend: list[str] = []
    abandon: list[str] = []
    for command_id, action, record in sent:
        if record is not None and not new_session and \
                record.session_id == message.header.session_id:
            awaiting.append(record)
        elif action in RESENDABLE:
            resend.append(command_id)
        else:
            abandon.append(command_id)
    return SessionPlan(tuple(awaiting), tuple(resend), tuple(abandon))
