"""The SyncML 1.2 (OMA-DM) message model: what `syncml.parse_message` returns and
`syncml.build_message` writes. Plain frozen values, no XML here."""

from __future__ import annotations

from dataclasses import dataclass, field

SESSION_ALERT = "1201"  # client-initiated management session
LOGIN_STATUS_ALERT = "1224"  # Windows: who is signed in (com.microsoft/MDM/LoginStatus)
GENERIC_ALERT = "1226"  # OMA DM generic alert; its Item's Meta/Type says what it is about
UNENROLLMENT_ALERT_TYPE = "com.microsoft:mdm.unenrollment.userrequest"
HEADER_CMD_REF = "0"  # a Status for the SyncHdr refers to CmdID 0


@dataclass(frozen=True)
class Item:
    target: str | None = None  # Target/LocURI: the node a server command addresses
    source: str | None = None  # Source/LocURI: the node a device's value comes from
    data: str | None = None
    format: str | None = None  # Meta/Format: chr, int, bool, b64, node...
    type: str | None = None  # Meta/Type: text/plain...


@dataclass(frozen=True)
class Header:
    session_id: str
    msg_id: str
    target: str  # LocURI of the receiver
    source: str  # LocURI of the sender: the device id in a device's message


@dataclass(frozen=True)
class Alert:
    cmd_id: str
    code: str
    items: tuple[Item, ...] = ()


@dataclass(frozen=True)
class Command:
    """Get, Exec, Replace, Add or Delete."""

    verb: str
    cmd_id: str
    items: tuple[Item, ...]


@dataclass(frozen=True)
class Container:
    """Atomic (all or nothing) or Sequence (in order) around other commands."""

    verb: str
    cmd_id: str
    commands: tuple[Command | Container, ...]


@dataclass(frozen=True)
class Status:
    cmd_id: str
    msg_ref: str
    cmd_ref: str
    cmd: str
    data: str  # the result code: 200, 404, 405, 500...
    target_ref: str | None = None
    source_ref: str | None = None


@dataclass(frozen=True)
class Results:
    cmd_id: str
    msg_ref: str | None
    cmd_ref: str
    items: tuple[Item, ...]


BodyCommand = Alert | Command | Container | Status | Results


@dataclass(frozen=True)
class Message:
    header: Header
    commands: tuple[BodyCommand, ...] = field(default_factory=tuple)
    final: bool = True

    @property
    def alerts(self) -> list[Alert]:
        return [c for c in self.commands if isinstance(c, Alert)]

    @property
    def statuses(self) -> list[Status]:
        return [c for c in self.commands if isinstance(c, Status)]

    @property
    def results(self) -> list[Results]:
        return [c for c in self.commands if isinstance(c, Results)]

    @property
    def requests(self) -> list[Command | Container]:
        """Commands that ask the receiver to do something (and so need a Status back)."""
        return [c for c in self.commands if isinstance(c, Command | Container)]

    @property
    def unenrolls(self) -> bool:
        """The device leaves management: a 1226 generic alert of the unenrollment type, which
        Windows sends as the first package of a session after ending the others."""
        return any(alert.code == GENERIC_ALERT and any(
            item.type == UNENROLLMENT_ALERT_TYPE for item in alert.items)
            for alert in self.alerts)

    @property
    def dev_info(self) -> dict[str, str]:
        """The ./DevInfo/* values a device sends in Replace (DevId, Man, Mod, DmV, Lang)."""
        values: dict[str, str] = {}
        for command in self.commands:
            if isinstance(command, Command) and command.verb == "Replace":
                for item in command.items:
                    uri = item.source or item.target or ""
                    if uri.startswith("./DevInfo/") and item.data is not None:
                        values[uri.removeprefix("./DevInfo/")] = item.data
        return values
