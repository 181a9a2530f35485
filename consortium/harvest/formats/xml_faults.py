"""Finding the record a fault of a malformed XML file lies in, and reading on after it.

A strict parser stops at the first malformed byte. To keep what follows, the fault's line and column are turned
into a byte offset, and the record it lies in is found by its tags: from the last ``<record`` (any prefix)
before the fault to the first ``</record>`` after that start. That span is quarantined, and the file is parsed
again from the next ``<record`` after it, under a made-up root element that declares the namespaces declared
before it (and after the file's XML declaration, so its encoding holds). A fault outside any record (stray
markup between records) quarantines the stretch up to the next record, unless it holds only closing tags
(the end of the file, or of a wrapper). A file that ends inside a record stops the reading: its run is not
complete. Entities are still never resolved: only the strict, entity-safe parser reads anything.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lxml import etree

__all__ = ["Declarations", "Fault", "locate_fault", "remainder"]

_START = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?record(?=[\s/>])")
_END = re.compile(rb"</(?:[A-Za-z_][\w.-]*:)?record\s*>")
_XMLNS = re.compile(rb"""\sxmlns(:[A-Za-z_][\w.-]*)?\s*=\s*("[^"]*"|'[^']*')""")
_DECLARATION = re.compile(rb"^\s*<\?xml[^>]*\?>")
_ONLY_CLOSING = re.compile(rb"(?:\s|</[^<>]*>|<!--.*?-->)*", re.DOTALL)


@dataclass(frozen=True)
class Fault:
    """Where a fault of the file lies and what to do next."""

    reason: str
    """Why, with the line and column of the fault."""
    span: tuple[int, int] | None
    """The bytes of ``data`` to quarantine (the broken record), if any."""
    resume: int | None
    """Where reading goes on (the next ``<record``), or ``None`` when nothing follows."""
    stopped: str | None = None
    """Why reading cannot go on (``{number}`` is the broken record's number), if it cannot."""


def _offset(document: bytes, line: int, column: int) -> int:
    """The byte offset of a 1-based line and column (counted in characters, as libxml2 counts them, UTF-8
    assumed) in ``document``, clamped to it."""
    at = 0
    for _ in range(max(line - 1, 0)):
        found = document.find(b"\n", at)
        if found < 0:
            return len(document)
        at = found + 1
    end = document.find(b"\n", at)
    text = document[at : len(document) if end < 0 else end].decode("utf-8", errors="surrogateescape")
    return min(at + len(text[: max(column - 1, 0)].encode("utf-8", errors="surrogateescape")), len(document))


def locate_fault(data: bytes, document: bytes, offset: int, exc: etree.XMLSyntaxError) -> Fault:
    """The fault ``exc`` found parsing ``document`` (``data`` from byte ``offset``, after a made-up prefix)."""
    line, column = exc.position if exc.position else (0, 0)
    prefix = len(document) - (len(data) - offset)
    at = max(offset + _offset(document, line, column) - prefix, offset)
    line_in_file = data.count(b"\n", 0, at) + 1
    reason = f"malformed XML at line {line_in_file}: {exc.msg}"
    starts = list(_START.finditer(data, offset, at))
    # An end tag the fault lies at or just after is the broken record's own (a mismatched tag is reported there).
    ends = [m for m in _END.finditer(data, offset, at) if m.end() < at]
    last_start = starts[-1].start() if starts else -1
    last_end = ends[-1].end() if ends else -1
    if last_start > last_end - 1 and last_start >= 0:  # inside a record
        close = _END.search(data, last_start)
        if close is None:
            stopped = "the file ends inside record {number} (cut short?): " + reason
            return Fault(reason, (last_start, len(data)), None, stopped)
        following = _START.search(data, close.end())
        return Fault(reason, (last_start, close.end()), following.start() if following else None)
    unclosed = _unclosed(data, offset, at)
    if unclosed is not None:  # a record whose end tag is missing: the records after it were read as inside it
        following = _START.search(data, unclosed + 1)
        end = following.start() if following else len(data)
        return Fault(
            f"{reason} (a record without its end tag)", (unclosed, end), following.start() if following else None
        )
    begin = max(last_end, offset)
    following = _START.search(data, at)
    end = following.start() if following else len(data)
    if _ONLY_CLOSING.fullmatch(data, begin, end) or _ONLY_CLOSING.fullmatch(data, at, end):
        return Fault(reason, None, following.start() if following else None)
    if following is None:  # what is left of the file is neither a record nor closing tags
        stopped = "the file cannot be read as MARCXML from record {number} on: " + reason
        return Fault(f"{reason} (after the last record)", (begin, end), None, stopped)
    return Fault(f"{reason} (between records)", (begin, end), following.start())


def _unclosed(data: bytes, offset: int, at: int) -> int | None:
    """The first record start tag between ``offset`` and ``at`` that no end tag closes before ``at``, if any."""
    tags = sorted(
        [(m.start(), True) for m in _START.finditer(data, offset, at) if not _self_closing(data, m.end())]
        + [(m.start(), False) for m in _END.finditer(data, offset, at)]
    )
    open_starts: list[int] = []
    for position, is_start in tags:
        if is_start:
            open_starts.append(position)
        elif open_starts:
            open_starts.pop()
    return open_starts[0] if open_starts else None


def _self_closing(data: bytes, after_name: int) -> bool:
    close = data.find(b">", after_name)
    return close > 0 and data[close - 1 : close] == b"/"


@dataclass
class Declarations:
    """The namespace declarations of a file up to :attr:`upto` (scanned once, as reading moves on)."""

    prefixes: dict[bytes, bytes] = field(default_factory=dict)
    """The last value declared for each prefix (``b""``: the default namespace)."""
    upto: int = 0


def remainder(data: bytes, resume: int, declared: Declarations) -> tuple[bytes, int]:
    """A document to parse ``data`` on from byte ``resume``: the file's XML declaration, a made-up root that
    declares every namespace declared before ``resume`` (the last declaration of each prefix), and the rest.
    ``declared`` is brought up to ``resume`` (each byte is scanned once however many faults the file has)."""
    for match in _XMLNS.finditer(data, declared.upto, resume):
        declared.prefixes[match.group(1) or b""] = match.group(2)
    declared.upto = max(declared.upto, resume)
    head = _DECLARATION.match(data)
    attributes = b"".join(b" xmlns" + p + b"=" + v for p, v in declared.prefixes.items())
    prefix = (head.group(0) if head else b"") + b"<hub-remainder" + attributes + b">"
    return prefix + data[resume:], resume
