"""Parsing XML from members without trusting it.

Harvested XML never needs a document type declaration, so any document that has one is refused before parsing:
that shuts out external entities (file or network reads) and entity expansion bombs alike, whatever the parser.
The check reads the prolog as the parser will: in the document's own encoding (a UTF-16 or UTF-32 byte-order mark,
or the encoding its XML declaration names), with comments and processing instructions taken out first, so
neither a comment holding ``<a>`` nor another encoding hides a DOCTYPE. The parser itself is also set never to
resolve entities, load a DTD or reach the network, and a parsed document that still carries a DOCTYPE or an
entity reference is refused: no text is ever silently cut where an entity stood.
"""

from __future__ import annotations

import codecs
import re

from lxml import etree

from consortium.errors import RecordError
from consortium.harvest.refusals import Refusal

__all__ = ["UnsafeXmlError", "check_prolog", "entity_references", "parse_document", "safe_parser"]

_PROLOG_TOKEN = re.compile(
    r"<!--.*?(?:-->|\Z)|<\?.*?(?:\?>|\Z)|(?P<declaration><!(?:DOCTYPE|ENTITY))|(?P<element><[^\W\d])",
    re.DOTALL | re.IGNORECASE,
)
"""What a prolog holds, in order: a comment or processing instruction (skipped whole, whatever is inside), a
DTD declaration, or the root element's start."""
_DECLARED_ENCODING = re.compile(rb"""^<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_BOMLESS = (
    (b"<\x00\x00\x00", "utf-32-le"),
    (b"\x00\x00\x00<", "utf-32-be"),
    (b"<\x00", "utf-16-le"),
    (b"\x00<", "utf-16-be"),
)
"""How a document without a byte-order mark starts in a wide encoding (XML 1.0, appendix F)."""
_PROLOG_BYTES = 1 << 20
"""How much of a document the prolog check reads: a prolog longer than a mebibyte is refused too."""


class UnsafeXmlError(RecordError):
    """The XML declares a DTD or entities, or refers to one; it is refused, never resolved."""

    error_code = Refusal.UNSAFE_XML


def _prolog_text(data: bytes) -> str:
    """The start of the document decoded as the parser will decode it (undecodable bytes replaced)."""
    head = data[:_PROLOG_BYTES]
    for bom, encoding in _BOMS:
        if head.startswith(bom):
            return head[len(bom) :].decode(encoding, errors="replace")
    for start, encoding in _BOMLESS:
        if head.startswith(start):
            return head.decode(encoding, errors="replace")
    declared = _DECLARED_ENCODING.match(head)
    if declared is not None:
        try:
            return head.decode(declared.group(1).decode("ascii"), errors="replace")
        except LookupError:
            pass  # an encoding Python does not know: the parser will refuse the document anyway
    return head.decode("utf-8", errors="replace")


def check_prolog(data: bytes) -> None:
    """Refuse a document whose prolog (before the root element) holds a DOCTYPE or an ENTITY declaration, in
    whatever encoding it is written and whatever comments or processing instructions come before it. The prolog
    is read token by token and no further than the root element's start."""
    for token in _PROLOG_TOKEN.finditer(_prolog_text(data)):
        if token.lastgroup == "element":
            return
        if token.lastgroup == "declaration":
            raise UnsafeXmlError(
                "the XML declares a document type (DOCTYPE/ENTITY); entities are never resolved, so it is refused"
            )


def entity_references(element: etree._Element) -> list[str]:
    """The names of the entity references left unresolved in ``element`` (each once, in document order)."""
    return list(dict.fromkeys(str(node.text).strip("&;") for node in element.iter(etree.Entity)))


def safe_parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False, huge_tree=False
    )


def parse_document(data: bytes, what: str) -> etree._Element:
    """Parse a whole document safely; malformed XML raises :class:`RecordError` naming line and column, and a
    document carrying a DOCTYPE or an unresolved entity reference raises :class:`UnsafeXmlError`."""
    try:
        check_prolog(data)
    except UnsafeXmlError as exc:
        raise UnsafeXmlError(f"{what}: {exc}") from exc  # which response or file it is
    try:
        root = etree.fromstring(data, parser=safe_parser())
    except etree.XMLSyntaxError as exc:
        where = f"line {exc.lineno}, column {exc.offset}"
        raise RecordError(f"{what}: malformed XML at {where}: {exc.msg}", error_code=Refusal.MALFORMED_XML) from exc
    if str(getattr(root.getroottree().docinfo, "doctype", "")):
        raise UnsafeXmlError(f"{what}: the XML declares a document type; it is refused")
    lost = entity_references(root)
    if lost:
        names = ", ".join(f"&{name};" for name in lost)
        raise UnsafeXmlError(f"{what}: the XML refers to entities that are never resolved ({names}); it is refused")
    return root
