"""The device's own small SyncML codec: reads server messages, writes device messages.

Deliberately not the dispatcher's code: a simulator that shared the server's parser would
agree with the server's bugs instead of catching them.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET  # building only; parsing goes through defusedxml
from dataclasses import dataclass

from defusedxml.ElementTree import fromstring

SYNCML_NS = "SYNCML:SYNCML1.2"
METINF_NS = "syncml:metinf"
CONTENT_TYPE = "application/vnd.syncml.dm+xml"


@dataclass(frozen=True)
class ServerCommand:
    verb: str  # Get, Exec, Replace, Atomic, Sequence, Alert, Status...
    cmd_id: str
    targets: tuple[str, ...]  # Item/Target/LocURI of each item
    children: tuple[ServerCommand, ...] = ()  # inside Atomic / Sequence
    data: str | None = None  # Status code or Alert code


@dataclass(frozen=True)
class ServerMessage:
    session_id: str
    msg_id: str
    commands: tuple[ServerCommand, ...]

    @property
    def requests(self) -> tuple[ServerCommand, ...]:
        """What the server asks the device to do; none of these ends the session."""
        return tuple(c for c in self.commands if c.verb not in ("Status", "Results"))


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _find(element: ET.Element, *path: str) -> ET.Element | None:
    found: ET.Element | None = element
    for name in path:
        if found is None:
            return None
        found = next((c for c in found if _local(c.tag) == name), None)
    return found


def _text(element: ET.Element, *path: str) -> str | None:
    found = _find(element, *path)
    return "".join(found.itertext()).strip() if found is not None else None


def _command(element: ET.Element) -> ServerCommand:
    targets = tuple(
        _text(item, "Target", "LocURI") or "" for item in element if _local(item.tag) == "Item"
    )
    children = tuple(
        _command(child) for child in element
        if _local(child.tag) not in ("CmdID", "Item", "Meta", "Data", "MsgRef", "CmdRef", "Cmd")
    ) if _local(element.tag) in ("Atomic", "Sequence") else ()
    return ServerCommand(_local(element.tag), _text(element, "CmdID") or "", targets, children,
                         _text(element, "Data"))


def parse_server_message(body: bytes) -> ServerMessage:
    root = fromstring(body, forbid_dtd=True)
    header, sync_body = _find(root, "SyncHdr"), _find(root, "SyncBody")
    if header is None or sync_body is None:
        raise ValueError("the server's answer is not a SyncML message")
    commands = tuple(_command(c) for c in sync_body if _local(c.tag) != "Final")
    return ServerMessage(_text(header, "SessionID") or "", _text(header, "MsgID") or "", commands)


class DeviceMessage:
    """A device message under construction; `finish()` gives its XML."""

    def __init__(self, session_id: str, msg_id: int, server_url: str, device_id: str) -> None:
        self._root = ET.Element("SyncML", {"xmlns": SYNCML_NS})
        header = ET.SubElement(self._root, "SyncHdr")
        for name, value in (("VerDTD", "1.2"), ("VerProto", "DM/1.2"),
                            ("SessionID", session_id), ("MsgID", str(msg_id))):
            ET.SubElement(header, name).text = value
        for name, uri in (("Target", server_url), ("Source", device_id)):
            ET.SubElement(ET.SubElement(header, name), "LocURI").text = uri
        self._body = ET.SubElement(self._root, "SyncBody")
        self._next_id = 1

    def _command(self, verb: str) -> ET.Element:
        element = ET.SubElement(self._body, verb)
        ET.SubElement(element, "CmdID").text = str(self._next_id)
        self._next_id += 1
        return element

    def alert(self, code: str, *, meta_type: str | None = None, data: str | None = None,
              meta_format: str | None = None) -> None:
        element = self._command("Alert")
        ET.SubElement(element, "Data").text = code
        if meta_type is not None:
            item = ET.SubElement(element, "Item")
            meta = ET.SubElement(item, "Meta")
            ET.SubElement(meta, "Type", {"xmlns": METINF_NS}).text = meta_type
            if meta_format is not None:
                ET.SubElement(meta, "Format", {"xmlns": METINF_NS}).text = meta_format
            ET.SubElement(item, "Data").text = data

    def replace(self, values: dict[str, str]) -> None:
        element = self._command("Replace")
        for uri, value in values.items():
            item = ET.SubElement(element, "Item")
            ET.SubElement(ET.SubElement(item, "Source"), "LocURI").text = uri
            ET.SubElement(item, "Data").text = value

    def status(self, msg_ref: str, cmd_ref: str, cmd: str, code: str) -> None:
        element = self._command("Status")
        for name, value in (("MsgRef", msg_ref), ("CmdRef", cmd_ref), ("Cmd", cmd),
                            ("Data", code)):
            ET.SubElement(element, name).text = value

    def results(self, msg_ref: str, cmd_ref: str, values: dict[str, str]) -> None:
        element = self._command("Results")
        ET.SubElement(element, "MsgRef").text = msg_ref
        ET.SubElement(element, "CmdRef").text = cmd_ref
        for uri, value in values.items():
            item = ET.SubElement(element, "Item")
            ET.SubElement(ET.SubElement(item, "Source"), "LocURI").text = uri
            meta = ET.SubElement(item, "Meta")
            ET.SubElement(meta, "Format", {"xmlns": METINF_NS}).text = "chr"
            ET.SubElement(item, "Data").text = value

    @property
    def is_empty(self) -> bool:
        return self._next_id == 1

    def finish(self) -> bytes:
        """The XML, closed with Final (this device never splits a package over messages)."""
        if _find(self._body, "Final") is None:
            ET.SubElement(self._body, "Final")
        return ET.tostring(self._root, encoding="unicode").encode("utf-8")
