"""A member's location codes and the names its readers know them by.

Library systems export where a copy stands as codes: Koha's branch and shelving location (``CPL GEN``), 852's
sublocation and shelving location (``gen``), Alma's library and location. A member's ``locations`` table in
members.toml (``gen = "General Collections"``) names them: a holding's location that is one code becomes its name,
and one made of several codes (as the harvest joins them, by spaces) has each code named, the names joined by
``, ``, a part that is no code kept as it is. Names are given when a record is normalized, so a changed table
reaches the records already stored with ``consortium renormalize --member ID``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from pydantic import AfterValidator, Field, StringConstraints

if TYPE_CHECKING:
    from collections.abc import Mapping

    from consortium.models import Record

__all__ = ["MOST_LOCATIONS", "LocationNames", "location_name", "with_location_names"]

MOST_LOCATIONS = 5000
"""The most codes one member names: a library's locations number in the hundreds."""


def _one_word(code: str) -> str:
    if len(code.split()) != 1:
        raise ValueError("a location code is one word, without spaces (the harvest joins a copy's codes by spaces)")
    return code


_Code = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64), AfterValidator(_one_word)]
_Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
LocationNames = Annotated[dict[_Code, _Name], Field(max_length=MOST_LOCATIONS)]
"""Code → name; a code is one word (no spaces: the harvest joins codes by spaces), a name at most 200 characters."""


def location_name(location: str | None, names: Mapping[str, str]) -> str | None:
    """``location`` with its codes named (see the module); unchanged when no part of it is a code."""
    if not location or not names:
        return location
    whole = names.get(location)
    if whole is not None:
        return whole
    parts = location.split()
    if not any(part in names for part in parts):
        return location
    return ", ".join(names.get(part, part) for part in parts)


def with_location_names(record: Record, names: Mapping[str, str]) -> Record:
    """The record with each holding's location named (the record itself when nothing changes)."""
    if not names:
        return record
    holdings = [h.model_copy(update={"location": location_name(h.location, names)}) for h in record.holdings]
    if holdings == record.holdings:
        return record
    return record.model_copy(update={"holdings": holdings})
