"""Check-in parsing, including the defences against hostile plists."""

import plistlib

import pytest
from command_dispatcher.apple.checkin import Authenticate, CheckOut, TokenUpdate, parse_checkin
from command_dispatcher.apple.errors import ProtocolError

TOPIC = "com.apple.mgmt.External.test"


def _plist(**values: object) -> bytes:
    return plistlib.dumps(values, fmt=plistlib.FMT_XML)


def _code(body: bytes, **kwargs: int) -> str:
    with pytest.raises(ProtocolError) as caught:
        parse_checkin(body, **kwargs)
    return caught.value.code


def test_authenticate_carries_hardware_facts() -> None:
    message = parse_checkin(
        _plist(
            MessageType="Authenticate",
            Topic=TOPIC,
            UDID="00008110-0001",
            SerialNumber="C02XYZ",
            Model="MQ9X3",
            ModelName="iPhone",
            ProductName="iPhone15,2",
            OSVersion="17.5.1",
            DeviceName="Ada's iPhone",
            IMEI="356938035643809",
            BuildVersion="21F90",
            SomethingNew=True,  # devices add keys over the years; unknown ones are ignored
        )
    )
    assert isinstance(message, Authenticate)
    assert message.device_identifier == "00008110-0001"
    assert (message.serial_number, message.product_name, message.imei) == (
        "C02XYZ",
        "iPhone15,2",
        "356938035643809",
    )


def test_user_enrollment_is_identified_by_enrollment_id() -> None:
    message = parse_checkin(_plist(MessageType="Authenticate", Topic=TOPIC, EnrollmentID="E-1"))
    assert message.udid is None
    assert message.device_identifier == "E-1"


def test_token_update_keeps_binary_tokens() -> None:
    message = parse_checkin(
        _plist(
            MessageType="TokenUpdate",
            Topic=TOPIC,
            UDID="U1",
            Token=b"\x01\xab",
            PushMagic="MAGIC-1",
            UnlockToken=b"unlock",
            AwaitingConfiguration=True,
        )
    )
    assert isinstance(message, TokenUpdate)
    assert message.token == b"\x01\xab"
    assert message.token_hex == "01ab"
    assert message.unlock_token == b"unlock"
    assert message.awaiting_configuration is True
    assert message.user_id is None


def test_token_update_without_unlock_token() -> None:
    message = parse_checkin(
        _plist(
            MessageType="TokenUpdate",
            Topic=TOPIC,
            UDID="U1",
            Token=b"\x01",
            PushMagic="M",
        )
    )
    assert isinstance(message, TokenUpdate)
    assert message.unlock_token is None
    assert message.awaiting_configuration is False


def test_checkout() -> None:
    message = parse_checkin(_plist(MessageType="CheckOut", Topic=TOPIC, UDID="U1"))
    assert isinstance(message, CheckOut)


@pytest.mark.parametrize(
    "values",
    [
        {"MessageType": "Authenticate", "UDID": "U1"},  # no Topic
        {"MessageType": "Authenticate", "Topic": TOPIC},  # neither UDID nor EnrollmentID
        # A string is not <data>: strict typing keeps a base64 text from passing as a token.
        {
            "MessageType": "TokenUpdate",
            "Topic": TOPIC,
            "UDID": "U1",
            "Token": "AQ==",
            "PushMagic": "M",
        },
        {"MessageType": "TokenUpdate", "Topic": TOPIC, "UDID": "U1", "Token": b"\x01"},
    ],
)
def test_incomplete_messages_are_refused(values: dict[str, object]) -> None:
    assert _code(_plist(**values)) == "checkin.invalid"


@pytest.mark.parametrize("message_type", ["Bogus", None])
def test_unsupported_message_types(message_type: str | None) -> None:
    values = {"Topic": TOPIC, "UDID": "U1"} | (
        {"MessageType": message_type} if message_type else {}
    )
    assert _code(_plist(**values)) == "checkin.unsupported_message_type"


def test_malformed_and_odd_bodies() -> None:
    assert _code(b"<plist><dict><key>oops") == "plist.malformed"
    assert _code(b"") == "plist.empty"
    assert _code(plistlib.dumps(["not", "a", "dict"])) == "plist.not_a_dict"
    binary = plistlib.dumps({"MessageType": "CheckOut"}, fmt=plistlib.FMT_BINARY)
    assert _code(binary) == "plist.malformed"  # devices send XML only


def test_body_size_is_capped() -> None:
    body = _plist(MessageType="CheckOut", Topic=TOPIC, UDID="U1", Pad="x" * 2000)
    assert _code(body, max_bytes=1000) == "plist.too_large"
    assert isinstance(parse_checkin(body, max_bytes=len(body)), CheckOut)


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE plist [
  <!ENTITY a "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa">
  <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
  <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
]>
<plist version="1.0"><dict>
  <key>MessageType</key><string>CheckOut</string>
  <key>Topic</key><string>&c;</string><key>UDID</key><string>U1</string>
</dict></plist>"""


def test_entity_expansion_is_refused_before_parsing() -> None:
    assert _code(BILLION_LAUGHS) == "plist.entity_declaration"


def test_entity_declaration_hidden_in_utf16_is_refused() -> None:
    body = BILLION_LAUGHS.replace(
        b'<?xml version="1.0"?>', b'<?xml version="1.0" encoding="UTF-16"?>'
    )
    assert _code(body.decode().encode("utf-16")) == "plist.entity_declaration"


def test_doctype_internal_subset_is_refused() -> None:
    body = b'<?xml version="1.0"?><!DOCTYPE plist [ <!-- nothing --> ]><plist><dict/></plist>'
    assert _code(body) == "plist.doctype_subset"


def test_apples_own_doctype_is_accepted() -> None:
    body = _plist(MessageType="CheckOut", Topic=TOPIC, UDID="U1")
    assert b'<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN"' in body
    assert isinstance(parse_checkin(body), CheckOut)


def test_an_entity_an_external_dtd_would_define_is_refused_not_skipped() -> None:
    # expat alone skips `&x;` silently when the DOCTYPE names an external DTD: the UDID would
    # be read as "U1" and the message accepted.
    body = (b'<?xml version="1.0"?><!DOCTYPE plist SYSTEM "http://127.0.0.1:9/evil.dtd">'
            b"<plist><dict><key>MessageType</key><string>CheckOut</string><key>Topic</key>"
            b"<string>" + TOPIC.encode() + b"</string><key>UDID</key><string>U&x;1</string>"
            b"</dict></plist>")
    assert _code(body) == "plist.malformed"


def test_character_references_and_predefined_entities_still_load() -> None:
    body = _plist(MessageType="CheckOut", Topic=TOPIC, UDID="U1", UserShortName="a<&>b")
    assert b"&lt;" in body and b"&amp;" in body
    assert parse_checkin(body).channel_user == "a<&>b"  # type: ignore[union-attr]


@pytest.mark.parametrize("udid", ["../../etc/passwd", "U<&>1", "a b", "x" * 129])
def test_an_identifier_outside_the_id_pattern_is_malformed(udid: str) -> None:
    """Issue 17, finding 8: a UDID such as `../../etc/passwd` must be a 400, never a 500; the
    identifier becomes the device id (contracts' EntityId `^[A-Za-z0-9_.:-]+$`)."""
    assert _code(_plist(MessageType="Authenticate", Topic=TOPIC, UDID=udid)) == "checkin.invalid"
