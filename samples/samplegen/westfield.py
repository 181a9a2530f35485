"""``westfield.mrc``: binary MARC21, AACR2, public-library Dewey call numbers, Unicode NFD."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .marc21 import member_style, print_books

if TYPE_CHECKING:
    from pymarc import Record

    from .facts import Facts


def records(facts: Facts) -> list[Record]:
    """The records of ``westfield.mrc``: one per print copy in ``facts/westfield.toml``."""
    tables, style = member_style(facts, "westfield")
    return print_books(facts, "westfield", tables.get("holdings", []), style)
