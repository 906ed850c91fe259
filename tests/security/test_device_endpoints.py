"""The dispatcher's device-facing listeners (Apple check-in/connect, Windows OMA-DM) against
hostile bodies: entity expansion ("billion laughs", also in UTF-16), external entities and
external DTDs (no fetch may happen), binary and truncated plists, a UDID that is a path, and
an unsigned enrollment. Each is refused with a 4xx, nothing is stored and nothing reaches
`ssp.devices.reports`. An Apple device is never answered 401 (it would remove its MDM profile:
Apple's ErrorUnrecognizedDevice page; nanomdm answers 400 on purpose), so the unsigned
enrollment gets a 400.
Android devices talk to Google, not to us: there is no Android-facing listener to attack.
Bad signatures, swapped certificates and oversized bodies: tests/e2e (test_apple_lifecycle,
test_windows_dispatch)."""

from __future__ import annotations

import asyncio
import plistlib
from collections.abc import AsyncIterator

import httpx
import pytest
from ssp_contracts.topics import DEVICES_REPORTS
from ssp_simulators.apple.signing import DeviceCertificate
from ssp_simulators.windows import WindowsFleet

from tests.conftest import database_name
from tests.support.apple import start_fleet_and_dispatcher
from tests.support.kafka import Tail
from tests.support.metrics import samples
from tests.support.windows import opening_message, post_syncml

CHECKIN = "application/x-apple-aspen-mdm-checkin"
UDID = "00008110-00000000DEADBEEF"


def laughs(root: bytes, inner: bytes, depth: int = 9) -> bytes:
    """A document whose one entity reference expands to 10**depth copies of "lol"."""
    entities = b'<!ENTITY l0 "lol">' + b"".join(
        b'<!ENTITY l%d "%s">' % (i, b"".join(b"&l%d;" % (i - 1) for _ in range(10)))
        for i in range(1, depth + 1))
    return (b'<?xml version="1.0"?><!DOCTYPE ' + root + b" [" + entities + b"]>"
            + inner.replace(b"@", b"&l%d;" % depth))


def plist_doc(udid: str) -> bytes:
    return (b"<plist><dict><key>MessageType</key><string>Authenticate</string>"
            b"<key>Topic</key><string>com.apple.mgmt.x</string><key>UDID</key>"
            b"<string>" + udid.encode() + b"@</string></dict></plist>")


class Listener:
    """A TCP port that counts connections: an external entity or DTD must never be fetched."""

    def __init__(self) -> None:
        self.connections = 0
        self.server: asyncio.Server | None = None

    async def _on_connect(self, reader: asyncio.StreamReader,
                          writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        writer.close()

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.sockets[0].getsockname()[1]}/evil.dtd"


@pytest.fixture
async def listener() -> AsyncIterator[Listener]:
    spy = Listener()
    spy.server = await asyncio.start_server(spy._on_connect, "127.0.0.1", 0)
    yield spy
    spy.server.close()
    await spy.server.wait_closed()


async def test_hostile_xml_is_refused_by_both_listeners_and_nothing_is_stored(
        services, mongo, run_id, bootstrap, listener: Listener):
    fleet, dispatcher = await start_fleet_and_dispatcher(services, iphones=1)
    db = mongo[database_name(run_id, "command_dispatcher")]
    apple = fleet.session(fleet.devices[0])._endpoints
    windows = WindowsFleet(apple.checkin_url.rsplit("/mdm/", 1)[0], devices=1)
    [laptop] = windows.devices
    me = DeviceCertificate.create(UDID)
    external = listener.url.encode()
    plists = {
        "billion laughs": laughs(b"plist", plist_doc(UDID)),
        "billion laughs, UTF-16": b"\xff\xfe" + laughs(b"plist", plist_doc(UDID)).replace(
            b'<?xml version="1.0"?>', b'<?xml version="1.0" encoding="UTF-16"?>'
        ).decode().encode("utf-16-le"),
        "external entity": b'<?xml version="1.0"?><!DOCTYPE plist [<!ENTITY x SYSTEM "'
                           + external + b'">]>' + plist_doc(UDID).replace(b"@", b"&x;"),
        "external DTD": b'<?xml version="1.0"?><!DOCTYPE plist SYSTEM "' + external + b'">'
                        + plist_doc(UDID).replace(b"@", b"&x;"),
        "parameter entity": b'<?xml version="1.0"?><!DOCTYPE plist [<!ENTITY % p SYSTEM "'
                            + external + b'"> %p;]>' + plist_doc(UDID).replace(b"@", b""),
        "binary plist": plistlib.dumps({"MessageType": "Authenticate", "UDID": UDID,
                                        "Topic": "t"}, fmt=plistlib.FMT_BINARY),
        "truncated": plist_doc(UDID).replace(b"@", b"")[:-20],
        # Issue 17, finding 8: a UDID outside the id pattern was a 500.
        "UDID that is a path": plist_doc("../../etc/passwd").replace(b"@", b""),
        "connect, UDID that is a path": plistlib.dumps({"UDID": "../../etc/passwd",
                                                        "Status": "Idle"}),
    }
    opening = opening_message(windows, laptop)
    syncml = {
        "billion laughs": laughs(b"SyncML", opening.split(b"?>", 1)[-1].replace(
            b"</LocURI>", b"@</LocURI>", 1)),
        "external entity": b'<?xml version="1.0"?><!DOCTYPE SyncML [<!ENTITY x SYSTEM "'
                           + external + b'">]>' + opening.split(b"?>", 1)[-1].replace(
                               b"</LocURI>", b"&x;</LocURI>", 1),
        "external DTD": b'<?xml version="1.0"?><!DOCTYPE SyncML SYSTEM "' + external + b'">'
                        + opening.split(b"?>", 1)[-1],
    }
    async with Tail(bootstrap, DEVICES_REPORTS) as reports, httpx.AsyncClient() as http:
        answers = {}
        for name, body in plists.items():
            url = apple.connect_url if name.startswith("connect") else apple.checkin_url
            r = await http.put(url, content=body, headers={
                "Mdm-Signature": me.sign(body), "Content-Type": CHECKIN})
            answers[f"apple {name}"] = r.status_code
        certificate = laptop.identity().header_value()
        for name, body in syncml.items():
            r = await post_syncml(http, windows, body, certificate=certificate)
            answers[f"windows {name}"] = r.status_code
        # A well-formed Authenticate, but unsigned: refused before it is read.
        honest = plistlib.dumps({"MessageType": "Authenticate", "UDID": UDID, "Topic": "t"})
        r = await http.put(apple.checkin_url, content=honest, headers={"Content-Type": CHECKIN})
        answers["apple unsigned"] = r.status_code
        await reports.poll(1.0)
    assert {k: v for k, v in answers.items() if not 400 <= v < 500} == {}
    assert answers["apple unsigned"] == 400
    assert listener.connections == 0
    assert await db["apple_devices"].count_documents({}) == 0
    assert await db["windows_devices"].count_documents({}) == 0
    # Only this test's devices: the shared broker may still hold earlier tests' commands,
    # which this test's dispatcher is free to store.
    mine_ids = [UDID, f"windows-{laptop.device_id}"]
    assert await db["commands"].count_documents({"device_id": {"$in": mine_ids}}) == 0
    mine = {device_id.encode() for device_id in mine_ids}
    assert [r for r in reports.seen if r.key in mine] == []
    # Operators see each refusal, by platform family and reason.
    refused = await samples(dispatcher.url, "ssp_device_requests_refused_total")
    by_family = {f: sum(n for labels, n in refused.items() if ("family", f) in labels)
                 for f in ("apple", "windows")}
    assert by_family == {"apple": len(plists) + 1, "windows": len(syncml)}, refused
