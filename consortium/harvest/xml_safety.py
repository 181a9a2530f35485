"""Parsing XML from members without trusting it.

Harvested XML never needs a document type declaration, so any document that has one is refused before parsing:
that shuts out external entities (file or network reads) and entity expansion bombs alike, whatever the parser.
The parser itself is also set never to resolve entities, load a DTD or reach the network.
"""

from __future__ import annotations

import re

from lxml import etree

from consortium.errors import RecordError

__all__ = ["UnsafeXmlError", "check_prolog", "parse_document", "safe_parser"]

_FIRST_ELEMENT = re.compile(rb"<[A-Za-z_]")


class UnsafeXmlError(RecordError):
    """The XML declares a DTD or entities; it is refused, never resolved."""


def check_prolog(data: bytes) -> None:
    """Refuse a document whose prolog (before the root element) holds a DOCTYPE or an ENTITY declaration."""
    match = _FIRST_ELEMENT.search(data)
    prolog = data[: match.start()] if match else data
    if b"<!DOCTYPE" in prolog.upper() or b"<!ENTITY" in prolog.upper():
        raise UnsafeXmlError(
            "the XML declares a document type (DOCTYPE/ENTITY); entities are never resolved, so it is refused"
        )


def safe_parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False, huge_tree=False
    )


def parse_document(data: bytes, what: str) -> etree._Element:
    """Parse a whole document safely; malformed XML raises :class:`RecordError` naming line and column."""
    check_prolog(data)
    try:
        return etree.fromstring(data, parser=safe_parser())
    except etree.XMLSyntaxError as exc:
        raise RecordError(f"{what}: malformed XML at line {exc.lineno}, column {exc.offset}: {exc.msg}") from exc
