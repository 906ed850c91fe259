"""One OMA-DM exchange, without I/O: answer a device's message, read its answers.

The device opens a session (Alert 1201 + Replace ./DevInfo), the server answers with Statuses
and the next commands, the device sends Statuses/Results in its next message (MsgID + 1),
and so on until a server message carries no commands: that ends the session. The caller
keeps the `SentCommand`s between requests (they are plain values) and owns the queue.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field

from ssp_contracts.enums import Action

from command_dispatcher.windows.commands import DEFAULT_WIPE, build_commands, interpret
from command_dispatcher.windows.errors import Unsupported
from command_dispatcher.windows.messages import (
    HEADER_CMD_REF,
    BodyCommand,
    Command,
    Container,
    Header,
    Message,
    Status,
)
from command_dispatcher.windows.results import WindowsOutcome
from command_dispatcher.windows.syncml import build_message

OK, NOT_SUPPORTED = "200", "406"
_ACCEPTED_FROM_DEVICE = frozenset({"Replace"})  # a DM client only reports its DevInfo this way


@dataclass(frozen=True)
class PendingCommand:
    command_id: str  # the portal's command id
    action: Action


@dataclass(frozen=True)
class SentCommand:
    """A command in flight: where it went, so the device's answers can be matched to it."""

    command_id: str
    action: Action
    session_id: str
    msg_id: str  # MsgID of the server message that carried it
    cmd_ids: tuple[str, ...]


@dataclass(frozen=True)
class Settled:
    command_id: str
    action: Action
    result: WindowsOutcome


@dataclass(frozen=True)
class Reply:
    body: bytes = field(repr=False)  # XML for the HTTP response (content type in syncml)
    message: Message
    sent: tuple[SentCommand, ...]  # now awaiting the device's next message
    refused: tuple[Settled, ...]  # pending commands Windows cannot run: failed at once
    ends_session: bool  # no commands sent: the device will not send another message


def settle(device_message: Message, awaiting: Sequence[SentCommand]) -> list[Settled]:
    """Outcomes of the awaited commands this message answers; the rest stay awaited."""
    header = device_message.header
    settled = []
    for sent in awaiting:
        if sent.session_id != header.session_id:
            continue  # CmdIDs and MsgIDs restart in every session; never match across them
        statuses = [s for s in device_message.statuses
                    if s.msg_ref == sent.msg_id and s.cmd_ref in sent.cmd_ids]
        results = [r for r in device_message.results
                   if r.msg_ref in (None, sent.msg_id) and r.cmd_ref in sent.cmd_ids]
        outcome = interpret(sent.action, statuses, results)
        if outcome is not None:
            settled.append(Settled(sent.command_id, sent.action, outcome))
    return settled


def _statuses_for(device_message: Message, ids: itertools.count[int]) -> list[Status]:
    header = device_message.header
    msg_ref = header.msg_id
    statuses = [Status(str(next(ids)), msg_ref, HEADER_CMD_REF, "SyncHdr", OK,
                       target_ref=header.target, source_ref=header.source)]
    for command in device_message.commands:
        if isinstance(command, Status):
            continue  # a Status is never answered with a Status
        verb = command.verb if isinstance(command, Command | Container) else type(command).__name__
        accepted = not isinstance(command, Command | Container) or verb in _ACCEPTED_FROM_DEVICE
        statuses.append(Status(str(next(ids)), msg_ref, command.cmd_id, verb,
                               OK if accepted else NOT_SUPPORTED))
    return statuses


def reply(
    device_message: Message,
    pending: Sequence[PendingCommand],
    *,
    server_uri: str | None = None,
    wipe: str = DEFAULT_WIPE,
    provider_id: str | None = None,
) -> Reply:
    """The server's answer: Statuses for the device's commands, then the pending commands.

    The reply reuses the device's MsgID (the server's n-th message answers the device's n-th).
    """
    header = device_message.header
    ids = itertools.count(1)  # CmdIDs are unique within one message
    body: list[BodyCommand] = list(_statuses_for(device_message, ids))
    sent: list[SentCommand] = []
    refused: list[Settled] = []
    for command in pending:
        try:
            built = build_commands(command.action, ids, wipe=wipe, provider_id=provider_id)
        except Unsupported as exc:
            failed = WindowsOutcome("failed", exc.message, exc.code)
            refused.append(Settled(command.command_id, command.action, failed))
            continue
        body.extend(built.commands)
        sent.append(SentCommand(command.command_id, command.action, header.session_id,
                                header.msg_id, built.cmd_ids))
    message = Message(
        header=Header(session_id=header.session_id, msg_id=header.msg_id,
                      target=header.source, source=server_uri or header.target),
        commands=tuple(body),
    )
    return Reply(build_message(message), message, tuple(sent), tuple(refused), not sent)
