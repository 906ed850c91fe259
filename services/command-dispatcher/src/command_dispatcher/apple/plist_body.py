"""Loading a device-sent plist body defensively: size cap, no entity declarations, XML only.

plistlib's expat parser, given a DOCTYPE with an external DTD (which it never reads), skips
every entity reference it cannot resolve without a word: `<string>A&x;B</string>` loads as
"AB". So the body is first parsed by defusedxml, which refuses DTD entities and external
references and fails on an undefined entity, and only then handed to plistlib.
"""

from __future__ import annotations

import codecs
import plistlib
from typing import Any
from xml.etree.ElementTree import ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from command_dispatcher.apple.errors import ProtocolError

DEFAULT_MAX_BODY_BYTES = 1024 * 1024

# plistlib accepts UTF-16/32 XML too; a byte search for "<!ENTITY" would miss those encodings.
_BOMS = (
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
)


def _as_text(body: bytes) -> str:
    for bom, encoding in _BOMS:
        if body.startswith(bom):
            return body[len(bom):].decode(encoding, errors="replace")
    return body.decode("utf-8", errors="replace")


def _refuse_declarations(text: str) -> None:
    # Apple's own DOCTYPE (public id + system id) is fine; an internal subset "[...]" is where
    # entity definitions would live, and devices never send one.
    if "<!ENTITY" in text:
        raise ProtocolError("plist.entity_declaration", "entity declarations are not accepted")
    start = text.find("<!DOCTYPE")
    if start != -1:
        end = text.find(">", start)
        if "[" in text[start : end if end != -1 else len(text)]:
            raise ProtocolError("plist.doctype_subset", "DOCTYPE internal subsets are not accepted")


def load_plist(body: bytes, *, max_bytes: int = DEFAULT_MAX_BODY_BYTES) -> dict[str, Any]:
    """Parse an XML plist whose top level is a dict, refusing anything a device would not send."""
    if len(body) > max_bytes:
        raise ProtocolError("plist.too_large", f"body has {len(body)} bytes, limit {max_bytes}")
    if not body.strip():
        raise ProtocolError("plist.empty", "empty body")
    _refuse_declarations(_as_text(body))
    try:
        fromstring(body, forbid_dtd=False, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise ProtocolError("plist.entity_declaration",
                            "entity declarations are not accepted") from exc
    except ParseError as exc:  # an undefined entity reference among others
        raise ProtocolError("plist.malformed", f"not well-formed XML ({exc})") from exc
    try:
        # Binary plists are refused: devices send XML, and one format means one parser to trust.
        value = plistlib.loads(body, fmt=plistlib.FMT_XML)
    except Exception as exc:  # plistlib raises InvalidFileException, ExpatError, ValueError...
        kind = type(exc).__name__
        raise ProtocolError("plist.malformed", f"not a valid XML plist ({kind})") from exc
    if not isinstance(value, dict):
        raise ProtocolError("plist.not_a_dict", "the top level of the plist must be a dict")
    return value
