"""SyncML 1.2 over XML: parsed with defusedxml (no DTDs, no entities), built with ElementTree.

Never string formatting: a LocURI or a value with `<` or `&` must not change the document.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET  # building only; parsing goes through defusedxml

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from command_dispatcher.windows.errors import ProtocolError
from command_dispatcher.windows.messages import (
    Alert,
    BodyCommand,
    Command,
    Container,
    Header,
    Item,
    Message,
    Results,
    Status,
)

SYNCML_NS = "SYNCML:SYNCML1.2"
METINF_NS = "syncml:metinf"
CONTENT_TYPE = "application/vnd.syncml.dm+xml"
DEFAULT_MAX_BODY_BYTES = 1024 * 1024
COMMAND_VERBS = frozenset({"Get", "Exec", "Replace", "Add", "Delete"})
CONTAINER_VERBS = frozenset({"Atomic", "Sequence"})
_MAX_NESTING = 4  # Atomic/Sequence depth; devices nest at most once


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _child(element: ET.Element, name: str) -> ET.Element | None:
    return next((child for child in element if _local(child.tag) == name), None)


def _text(element: ET.Element | None, *path: str) -> str | None:
    for name in path:
        if element is None:
            return None
        element = _child(element, name)
    if element is None:
        return None
    return "".join(element.itertext()).strip()


def _required(element: ET.Element, *path: str) -> str:
    value = _text(element, *path)
    if not value:
        raise ProtocolError("syncml.missing_element", f"{'/'.join(path)} is required")
    return value


def _item(element: ET.Element) -> Item:
    return Item(
        target=_text(element, "Target", "LocURI"), source=_text(element, "Source", "LocURI"),
        data=_text(element, "Data"), format=_text(element, "Meta", "Format"),
        type=_text(element, "Meta", "Type"),
    )


def _items(element: ET.Element) -> tuple[Item, ...]:
    return tuple(_item(child) for child in element if _local(child.tag) == "Item")


def _command(element: ET.Element, depth: int = 0) -> BodyCommand | None:
    verb = _local(element.tag)
    if verb == "Status":
        return Status(
            cmd_id=_required(element, "CmdID"), msg_ref=_required(element, "MsgRef"),
            cmd_ref=_required(element, "CmdRef"), cmd=_required(element, "Cmd"),
            data=_required(element, "Data"), target_ref=_text(element, "TargetRef"),
            source_ref=_text(element, "SourceRef"),
        )
    if verb == "Results":
        return Results(_required(element, "CmdID"), _text(element, "MsgRef"),
                       _required(element, "CmdRef"), _items(element))
    if verb == "Alert":
        return Alert(_required(element, "CmdID"), _required(element, "Data"), _items(element))
    if verb in COMMAND_VERBS:
        return Command(verb, _required(element, "CmdID"), _items(element))
    if verb in CONTAINER_VERBS:
        if depth >= _MAX_NESTING:
            raise ProtocolError("syncml.too_deep", f"{verb} nested more than {_MAX_NESTING} deep")
        inner = (_command(child, depth + 1) for child in element)
        commands = tuple(c for c in inner if isinstance(c, Command | Container))
        return Container(verb, _required(element, "CmdID"), commands)
    return None  # CmdID, Meta, Final and commands a DM client never sends


def _header(element: ET.Element) -> Header:
    if _text(element, "VerDTD") != "1.2" or _text(element, "VerProto") != "DM/1.2":
        raise ProtocolError("syncml.version", "only SyncML 1.2 with DM/1.2 is spoken here")
    return Header(
        session_id=_required(element, "SessionID"), msg_id=_required(element, "MsgID"),
        target=_required(element, "Target", "LocURI"),
        source=_required(element, "Source", "LocURI"),
    )


def parse_message(body: bytes, *, max_bytes: int = DEFAULT_MAX_BODY_BYTES) -> Message:
    """Parse a device's SyncML message (size-capped; DTDs, entities and external refs refused)."""
    if len(body) > max_bytes:
        raise ProtocolError("syncml.too_large", f"body has {len(body)} bytes, limit {max_bytes}")
    if not body.strip():
        raise ProtocolError("syncml.empty", "empty body")
    try:
        root = fromstring(body, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise ProtocolError("syncml.declaration", "DTDs and entities are not accepted") from exc
    except ET.ParseError as exc:
        raise ProtocolError("syncml.malformed", f"not well-formed XML ({exc})") from exc
    namespace = root.tag[1:].split("}", 1)[0] if root.tag.startswith("{") else ""
    if _local(root.tag) != "SyncML" or namespace.upper() != SYNCML_NS:
        raise ProtocolError("syncml.root", f"root must be SyncML in {SYNCML_NS}")
    header, body_element = _child(root, "SyncHdr"), _child(root, "SyncBody")
    if header is None or body_element is None:
        raise ProtocolError("syncml.missing_element", "SyncHdr and SyncBody are required")
    parsed = (_command(child) for child in body_element)
    return Message(
        header=_header(header),
        commands=tuple(command for command in parsed if command is not None),
        final=_child(body_element, "Final") is not None,
    )


def _add(parent: ET.Element, name: str, text: str | None = None) -> ET.Element:
    element = ET.SubElement(parent, name)
    if text is not None:
        element.text = text
    return element


def _add_loc_uri(parent: ET.Element, name: str, uri: str | None) -> None:
    if uri is not None:
        _add(_add(parent, name), "LocURI", uri)


def _add_item(parent: ET.Element, item: Item) -> None:
    element = _add(parent, "Item")
    _add_loc_uri(element, "Target", item.target)
    _add_loc_uri(element, "Source", item.source)
    if item.format or item.type:
        meta = _add(element, "Meta")
        # Meta children live in the metinf namespace, declared on each as Windows expects.
        for name, value in (("Format", item.format), ("Type", item.type)):
            if value:
                _add(meta, name, value).set("xmlns", METINF_NS)
    if item.data is not None:
        _add(element, "Data", item.data)


def _add_command(parent: ET.Element, command: BodyCommand) -> None:
    if isinstance(command, Status):
        element = _add(parent, "Status")
        for name, value in (("CmdID", command.cmd_id), ("MsgRef", command.msg_ref),
                            ("CmdRef", command.cmd_ref), ("Cmd", command.cmd),
                            ("TargetRef", command.target_ref), ("SourceRef", command.source_ref),
                            ("Data", command.data)):
            if value is not None:
                _add(element, name, value)
        return
    if isinstance(command, Results):
        element = _add(parent, "Results")
        _add(element, "CmdID", command.cmd_id)
        if command.msg_ref is not None:
            _add(element, "MsgRef", command.msg_ref)
        _add(element, "CmdRef", command.cmd_ref)
    elif isinstance(command, Alert):
        element = _add(parent, "Alert")
        _add(element, "CmdID", command.cmd_id)
        _add(element, "Data", command.code)
    elif isinstance(command, Container):
        element = _add(parent, command.verb)
        _add(element, "CmdID", command.cmd_id)
        for inner in command.commands:
            _add_command(element, inner)
        return
    else:
        element = _add(parent, command.verb)
        _add(element, "CmdID", command.cmd_id)
    for item in command.items:
        _add_item(element, item)


def build_message(message: Message) -> bytes:
    """The UTF-8 XML of a SyncML message (no XML declaration, as Windows servers answer)."""
    root = ET.Element("SyncML", {"xmlns": SYNCML_NS})
    header = _add(root, "SyncHdr")
    _add(header, "VerDTD", "1.2")
    _add(header, "VerProto", "DM/1.2")
    _add(header, "SessionID", message.header.session_id)
    _add(header, "MsgID", message.header.msg_id)
    _add_loc_uri(header, "Target", message.header.target)
    _add_loc_uri(header, "Source", message.header.source)
    body = _add(root, "SyncBody")
    for command in message.commands:
        _add_command(body, command)
    if message.final:
        _add(body, "Final")
    return ET.tostring(root, encoding="unicode").encode("utf-8")
