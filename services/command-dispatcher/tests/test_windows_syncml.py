"""SyncML 1.2 parsing and building."""

from __future__ import annotations

import pytest
from command_dispatcher.windows.errors import ProtocolError
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
from command_dispatcher.windows.syncml import build_message, parse_message

# What a Windows 11 device sends to open a session (shape from MS-MDM examples).
OPENING = b"""<?xml version="1.0" encoding="UTF-8"?>
<SyncML xmlns="SYNCML:SYNCML1.2">
  <SyncHdr>
    <VerDTD>1.2</VerDTD>
    <VerProto>DM/1.2</VerProto>
    <SessionID>1</SessionID>
    <MsgID>1</MsgID>
    <Target><LocURI>https://mdm.example.com/mdm/windows/omadm</LocURI></Target>
    <Source><LocURI>6F9A2C7D41B04E3F9A1B2C3D4E5F6071</LocURI></Source>
  </SyncHdr>
  <SyncBody>
    <Alert><CmdID>2</CmdID><Data>1201</Data></Alert>
    <Alert>
      <CmdID>3</CmdID><Data>1224</Data>
      <Item><Meta><Type xmlns="syncml:metinf">com.microsoft/MDM/LoginStatus</Type></Meta>
        <Data>user</Data></Item>
    </Alert>
    <Replace>
      <CmdID>4</CmdID>
      <Item><Source><LocURI>./DevInfo/DevId</LocURI></Source>
        <Data>6F9A2C7D41B04E3F9A1B2C3D4E5F6071</Data></Item>
      <Item><Source><LocURI>./DevInfo/Man</LocURI></Source><Data>Dell Inc.</Data></Item>
      <Item><Source><LocURI>./DevInfo/Mod</LocURI></Source><Data>Latitude 7440</Data></Item>
      <Item><Source><LocURI>./DevInfo/DmV</LocURI></Source><Data>1.3</Data></Item>
      <Item><Source><LocURI>./DevInfo/Lang</LocURI></Source><Data>en-US</Data></Item>
    </Replace>
    <Final/>
  </SyncBody>
</SyncML>"""


def test_parse_a_device_opening_message() -> None:
    message = parse_message(OPENING)
    assert message.header == Header("1", "1", "https://mdm.example.com/mdm/windows/omadm",
                                    "6F9A2C7D41B04E3F9A1B2C3D4E5F6071")
    assert [(a.cmd_id, a.code) for a in message.alerts] == [("2", "1201"), ("3", "1224")]
    assert message.alerts[1].items[0].type == "com.microsoft/MDM/LoginStatus"
    assert message.dev_info == {"DevId": "6F9A2C7D41B04E3F9A1B2C3D4E5F6071", "Man": "Dell Inc.",
                                "Mod": "Latitude 7440", "DmV": "1.3", "Lang": "en-US"}
    assert message.final is True
    assert [c.verb for c in message.requests] == ["Replace"]


def test_parse_statuses_and_results() -> None:
    body = OPENING.replace(b"<Alert><CmdID>2</CmdID><Data>1201</Data></Alert>", b"""
        <Status><CmdID>1</CmdID><MsgRef>1</MsgRef><CmdRef>0</CmdRef><Cmd>SyncHdr</Cmd>
          <Data>200</Data></Status>
        <Status><CmdID>2</CmdID><MsgRef>1</MsgRef><CmdRef>7</CmdRef><Cmd>Get</Cmd>
          <Data>200</Data></Status>
        <Results><CmdID>5</CmdID><MsgRef>1</MsgRef><CmdRef>7</CmdRef>
          <Item><Source><LocURI>./DevDetail/SwV</LocURI></Source>
            <Meta><Format xmlns="syncml:metinf">chr</Format></Meta>
            <Data>10.0.22631.3880</Data></Item></Results>""")
    message = parse_message(body)
    assert message.statuses[1] == Status("2", "1", "7", "Get", "200")
    assert message.results == [Results("5", "1", "7", (
        Item(source="./DevDetail/SwV", data="10.0.22631.3880", format="chr"),))]


def test_round_trip_keeps_every_field_and_escapes_text() -> None:
    message = Message(
        header=Header("4A", "3", "dev<1>", "https://srv/omadm?a=1&b=2"),
        commands=(
            Status("1", "3", "0", "SyncHdr", "200", target_ref="t", source_ref="s"),
            Alert("2", "1224", (Item(type="com.microsoft/MDM/LoginStatus", data="user"),)),
            Command("Exec", "3", (Item(target="./Device/Vendor/MSFT/RemoteWipe/doWipe",
                                       format="chr", type="text/plain", data=""),)),
            Container("Sequence", "4", (
                Command("Exec", "5", (Item(target="./Vendor/MSFT/RemoteLock/LockAndResetPIN"),)),
                Container("Atomic", "6", (Command("Get", "7", (Item(target="./a"),)),)),
            )),
            Results("8", None, "7", (Item(source="./a", data="</Data><Evil/>&amp;"),)),
        ),
    )
    xml = build_message(message)
    assert b"<Evil/>" not in xml and b"&lt;/Data&gt;" in xml
    assert xml.startswith(b'<SyncML xmlns="SYNCML:SYNCML1.2"><SyncHdr><VerDTD>1.2</VerDTD>')
    assert b'<Format xmlns="syncml:metinf">chr</Format>' in xml
    assert parse_message(xml) == message


def test_final_is_optional() -> None:
    message = Message(Header("1", "2", "a", "b"), (), final=False)
    assert parse_message(build_message(message)).final is False


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE SyncML [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>
<SyncML xmlns="SYNCML:SYNCML1.2"><SyncHdr><VerDTD>1.2</VerDTD><VerProto>DM/1.2</VerProto>
<SessionID>&b;</SessionID><MsgID>1</MsgID><Target><LocURI>x</LocURI></Target>
<Source><LocURI>y</LocURI></Source></SyncHdr><SyncBody/></SyncML>"""

EXTERNAL = b"""<?xml version="1.0"?>
<!DOCTYPE SyncML [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<SyncML xmlns="SYNCML:SYNCML1.2"><SyncHdr><SessionID>&x;</SessionID></SyncHdr></SyncML>"""

PLAIN_DOCTYPE = b"""<!DOCTYPE SyncML PUBLIC "-//SYNCML//DTD SyncML 1.2//EN" "x.dtd">
<SyncML xmlns="SYNCML:SYNCML1.2"/>"""


@pytest.mark.parametrize("body", [BILLION_LAUGHS, EXTERNAL, PLAIN_DOCTYPE])
def test_dtds_and_entities_are_refused(body: bytes) -> None:
    with pytest.raises(ProtocolError) as caught:
        parse_message(body)
    assert caught.value.code == "syncml.declaration"


@pytest.mark.parametrize(("body", "code"), [
    (b"", "syncml.empty"),
    (b"<SyncML xmlns='SYNCML:SYNCML1.2'><SyncHdr>", "syncml.malformed"),
    (b"<SyncML xmlns='urn:other'/>", "syncml.root"),
    (b"<Other xmlns='SYNCML:SYNCML1.2'/>", "syncml.root"),
    (b"<SyncML xmlns='SYNCML:SYNCML1.2'><SyncBody/></SyncML>", "syncml.missing_element"),
    (OPENING.replace(b"<VerDTD>1.2", b"<VerDTD>1.1"), "syncml.version"),
    (OPENING.replace(b"<MsgID>1</MsgID>", b""), "syncml.missing_element"),
    (OPENING.replace(b"<CmdID>2</CmdID>", b""), "syncml.missing_element"),
])
def test_invalid_messages(body: bytes, code: str) -> None:
    with pytest.raises(ProtocolError) as caught:
        parse_message(body)
    assert caught.value.code == code


def test_body_size_cap() -> None:
    with pytest.raises(ProtocolError) as caught:
        parse_message(OPENING, max_bytes=100)
    assert caught.value.code == "syncml.too_large"
    assert parse_message(OPENING, max_bytes=len(OPENING)).header.msg_id == "1"


def test_nesting_is_bounded() -> None:
    inner: Command | Container = Command("Get", "99", (Item(target="./a"),))
    for depth in range(6):
        inner = Container("Atomic", str(depth), (inner,))
    message = Message(Header("1", "1", "a", "b"), (inner,))
    with pytest.raises(ProtocolError) as caught:
        parse_message(build_message(message))
    assert caught.value.code == "syncml.too_deep"
