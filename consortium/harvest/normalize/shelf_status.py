"""A print copy's shelf status, read from the item and availability fields library systems put in the
bibliographic records they export: :class:`~consortium.models.Availability`.

What is read (and where its meaning is documented; see the README, "Shelf status at harvest"):

- Koha's items, MARC21 952 and UNIMARC 995, as Koha's default frameworks map them: 952 ``$7`` / 995 ``$o`` not
  for loan (``items.notforloan``: 0 loanable, any other number not), 952 ``$1`` / 995 ``$2`` lost
  (``items.itemlost``), 952 ``$0`` / 995 ``$0`` withdrawn (``items.withdrawn``), 952 ``$q`` / 995 ``$n`` the date
  due of a checked-out copy (``items.onloan``). A copy is ``available`` only when the export shows its status (one
  of the status subfields is there) and every status given is 0 with no date due; a number not 0 makes it
  ``unavailable``, a date due ``on_loan``.
- Ex Libris' published availability, AVA ``$e`` (Alma and Aleph): ``available``, ``unavailable``;
  ``check_holdings`` (the system could not tell) stays unknown.
- MARC 21 holdings 876 ``$j`` item status, free text: a few common phrases (below), nothing else.

Anything else stays ``unknown``: an odd value (``$7 x``, ``$q soon``) is never read as available, and never fails
the record.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from consortium.models import Availability, Holding

if TYPE_CHECKING:
    from collections.abc import Iterable

    from consortium.harvest.normalize.common import MarcFieldLike

__all__ = [
    "KOHA_MARC21",
    "KOHA_UNIMARC",
    "KohaItemCodes",
    "ava_holdings",
    "ava_status",
    "combined",
    "item_status_text",
    "item_statuses",
    "koha_item_status",
    "koha_items",
    "linked",
]

_INTEGER = re.compile(r"^[+-]?\d+$")
# A Koha date due: ISO 8601 as Koha writes it (``2026-12-24``, ``2026-12-24 23:59:00``); nothing else is a date.
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}(?:[ T]\d{2}:\d{2}(?::\d{2})?)?$")

_AVA: Final[dict[str, Availability]] = {
    "available": Availability.AVAILABLE,
    "unavailable": Availability.UNAVAILABLE,
}

_ITEM_STATUS: Final[dict[str, Availability]] = {
    "available": Availability.AVAILABLE,
    "on shelf": Availability.AVAILABLE,
    "item in place": Availability.AVAILABLE,
    "in place": Availability.AVAILABLE,
    "not charged": Availability.AVAILABLE,
    "on loan": Availability.ON_LOAN,
    "loaned": Availability.ON_LOAN,
    "checked out": Availability.ON_LOAN,
    "charged": Availability.ON_LOAN,
    "lost": Availability.UNAVAILABLE,
    "missing": Availability.UNAVAILABLE,
    "withdrawn": Availability.UNAVAILABLE,
    "not for loan": Availability.UNAVAILABLE,
    "non-circulating": Availability.UNAVAILABLE,
    "noncirculating": Availability.UNAVAILABLE,
}
"""876 $j phrases read (lower case, trailing punctuation dropped): MARC 21 leaves the values to each system."""


@dataclass(frozen=True)
class KohaItemCodes:
    """Where Koha's default framework puts an item's columns in its item field (952 or 995)."""

    branch: str
    """The branch subfields, the first one given wins (home branch, then holding branch)."""
    shelving: str
    call_number: str
    not_for_loan: str
    lost: str
    withdrawn: str
    date_due: str


KOHA_MARC21: Final = KohaItemCodes(
    branch="ab", shelving="c", call_number="o", not_for_loan="7", lost="1", withdrawn="0", date_due="q"
)
"""952 in Koha's MARC21 default framework."""
KOHA_UNIMARC: Final = KohaItemCodes(
    branch="bc", shelving="e", call_number="k", not_for_loan="o", lost="2", withdrawn="0", date_due="n"
)
"""995 in Koha's UNIMARC default framework."""


def _flag(values: list[str]) -> str:
    """A Koha status subfield: ``absent``, ``clear`` (0), ``set`` (another number) or ``odd`` (not a number)."""
    for value in values:
        text = value.strip()
        if text:
            if not _INTEGER.match(text):
                return "odd"
            return "clear" if int(text) == 0 else "set"
    return "absent"


def koha_item_status(
    not_for_loan: list[str], lost: list[str], withdrawn: list[str], date_due: list[str]
) -> Availability:
    """A Koha item's status from its not-for-loan, lost, withdrawn and date-due subfields' values."""
    flags = {_flag(values) for values in (not_for_loan, lost, withdrawn)}
    due = next((v.strip() for v in date_due if v.strip()), None)
    if "odd" in flags:
        return Availability.UNKNOWN  # not what Koha writes: nothing is read from it
    if "set" in flags:
        return Availability.UNAVAILABLE
    if due is not None:
        return Availability.ON_LOAN if _DATE.match(due) else Availability.UNKNOWN
    if flags == {"absent"}:
        return Availability.UNKNOWN  # no status exported at all: nothing says the copy is on the shelf
    return Availability.AVAILABLE


def ava_status(values: list[str]) -> Availability:
    """An AVA field's ``$e``: ``available`` or ``unavailable``; anything else (``check_holdings``) unknown."""
    value = next((v.strip().lower() for v in values if v.strip()), "")
    return _AVA.get(value, Availability.UNKNOWN)


def item_status_text(values: list[str]) -> Availability:
    """An 876 ``$j`` item status: the phrases of :data:`_ITEM_STATUS`; anything else unknown."""
    value = next((v.strip().lower().rstrip(".;: ") for v in values if v.strip()), "")
    return _ITEM_STATUS.get(value, Availability.UNKNOWN)


def combined(statuses: Iterable[Availability]) -> Availability:
    """The status of a holding of several copies: ``available`` if one copy is, else ``unknown`` if one copy's
    status is not known (it may be on the shelf), else ``on_loan`` if one is, else ``unavailable``; no copy with a
    status: ``unknown``."""
    found = set(statuses)
    for status in (Availability.AVAILABLE, Availability.UNKNOWN, Availability.ON_LOAN, Availability.UNAVAILABLE):
        if status in found:
            return status
    return Availability.UNKNOWN


def _joined(*parts: str | None) -> str | None:
    return " ".join(p.strip() for p in parts if p and p.strip()) or None


def koha_items(
    fields: Iterable[MarcFieldLike], member: str, default_location: str | None, codes: KohaItemCodes
) -> list[Holding]:
    """Koha's item fields (952, 995) as holdings: one per shelf (branch and shelving location, call number), its
    status combined from its copies' (:func:`combined`), in the order the shelves first appear."""
    shelves: dict[tuple[str | None, str | None], list[Availability]] = {}
    for field in fields:
        branch = next((v for code in codes.branch for v in field.get_subfields(code) if v.strip()), None)
        location = _joined(branch, *field.get_subfields(codes.shelving)) or default_location
        call_number = _joined(*field.get_subfields(codes.call_number))
        status = koha_item_status(
            field.get_subfields(codes.not_for_loan),
            field.get_subfields(codes.lost),
            field.get_subfields(codes.withdrawn),
            field.get_subfields(codes.date_due),
        )
        shelves.setdefault((location, call_number), []).append(status)
    return [
        Holding(member=member, location=location, call_number=call_number, availability=combined(statuses))
        for (location, call_number), statuses in shelves.items()
    ]


def ava_holdings(fields: Iterable[MarcFieldLike], member: str, default_location: str | None) -> list[Holding]:
    """Ex Libris AVA fields as holdings: ``$b`` library and ``$c`` location, ``$d`` call number, ``$e`` status."""
    holdings = []
    for field in fields:
        location = _joined(*field.get_subfields("b", "c")) or default_location
        call_number = _joined(*field.get_subfields("d"))
        holdings.append(
            Holding(
                member=member,
                location=location,
                call_number=call_number,
                availability=ava_status(field.get_subfields("e")),
            )
        )
    return holdings


def _link_number(link: str) -> str:
    """A ``$8``'s linking number: ``1`` of ``1.2`` or ``1\\c``."""
    return link.split(".", 1)[0].split("\\", 1)[0]


def linked(fields: Iterable[MarcFieldLike], holding_links: list[str | None]) -> list[list[MarcFieldLike]]:
    """The fields (876 items, 866 holdings statements) of each of a record's shelf holdings (852, given by their
    ``$8`` link numbers, or ``None``): a field whose ``$8`` begins with a holding's link number (``1.2`` for ``1``)
    is that holding's; a record with one holding has every such field its (whatever their ``$8``, there is no
    other it could be of)."""
    if len(holding_links) == 1:
        return [list(fields)]
    found: list[list[MarcFieldLike]] = [[] for _ in holding_links]
    numbers = [_link_number(own) if own is not None else None for own in holding_links]
    for field in fields:
        link = next((v.strip() for v in field.get_subfields("8") if v.strip()), None)
        if link is None:
            continue
        number = _link_number(link)
        for i, own in enumerate(numbers):
            if own == number:
                found[i].append(field)
    return found


def item_statuses(items: Iterable[MarcFieldLike], holding_links: list[str | None]) -> list[Availability]:
    """The status of each of a record's shelf holdings from its 876 item fields (:func:`linked`); holdings with
    no item field stay ``unknown``."""
    found = linked(items, holding_links)
    return [combined([item_status_text(item.get_subfields("j")) for item in own]) for own in found]
