"""Where in a TOML file a validation error's location is, so an error in an operator's file names its line.

``tomllib`` gives values without positions; :func:`key_lines` reads the text once more, line by line, for its
table headers and keys, with the index of each array of tables (``[[members]]``, ``[[members.sources]]``) as
pydantic counts them. A location it cannot place (a key written in an inline table, say) has no line: the
error still names the member, source and field.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = ["Location", "key_lines", "line_of"]

Location = tuple[str | int, ...]
"""A location: table names, array indices and a key, as pydantic's ``loc`` gives it."""

_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\[\]]+?)\s*\]\]?\s*(?:#.*)?$")
_KEY = re.compile(r"""^\s*([A-Za-z0-9_\-]+(?:\s*\.\s*[A-Za-z0-9_\-]+)*|"[^"]*"|'[^']*')\s*=""")


def _names(dotted: str) -> list[str]:
    return [part.strip().strip("\"'") for part in dotted.split(".")]


def key_lines(text: str) -> dict[Location, int]:
    """The line (from 1) where each table and key of ``text`` first appears, by location.

    Example
    -------
    >>> key_lines('[[members]]\\nid = "a"\\n[[members.sources]]\\nid = "s"\\n')[("members", 0, "sources", 0, "id")]
    4
    """
    lines: dict[Location, int] = {}
    arrays: dict[Location, int] = {}  # each array of tables (its location) and the index of its last table
    table: Location = ()
    in_string: str | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        if in_string is not None:  # inside a multi-line string: a line there is text, not a key
            if line.count(in_string) % 2 == 1:
                in_string = None
            continue
        header = _HEADER.match(line)
        if header is not None:
            names = _names(header.group(2))
            where: Location = ()
            for position, name in enumerate(names):
                where += (name,)
                if where in arrays and position < len(names) - 1:  # [[a.b]] is in a's last table
                    where += (arrays[where],)
            if header.group(1) == "[[":
                lines.setdefault(where, number)  # the array itself: its first table
                arrays[where] = arrays.get(where, -1) + 1
                where += (arrays[where],)
            table = where
            lines.setdefault(table, number)
            continue
        key = _KEY.match(line)
        if key is not None:
            lines.setdefault(table + tuple(_names(key.group(1))), number)
            for quote in ('"""', "'''"):
                if line.count(quote) % 2 == 1:
                    in_string = quote
    return lines


def line_of(lines: dict[Location, int], loc: Sequence[str | int]) -> int | None:
    """The line of ``loc``, or of the nearest table holding it (a key that is missing, or unknown to pydantic's
    location such as ``[key]``); ``None`` when nothing of it is in the file.

    Example
    -------
    >>> line_of(key_lines('[[members]]\\nid = "a"\\n'), ("members", 0, "name"))  # name is missing: the table
    1
    """
    where = tuple(loc)
    while where:
        if where in lines:
            return lines[where]
        where = where[:-1]
    return None
