"""Real loans for the recommendation benchmark: ``../shared/data/library-loans`` and files of the same form.

The loans file has the columns ``u,i,t`` (reader id, item id, Unix time; ``r`` is ignored); the items file has
``Title,Author,ISBN Valid,Publisher,Subjects,i`` (subjects separated by ``;``, LCSH-style subdivisions by ``--``;
the title up to ISBD's `` : `` is the title proper, the rest the subtitle, as the hub's records keep them).
It is the data of a French-language Swiss academic library (see ../shared/data/SOURCES.md): one member, no
classification. An item arrives (``first_seen``) at its first loan in the file: "new books" after a split are the
works first loaned after it. Items never loaned in the file arrive after the last loan (they are in the catalogue,
but never new inside it). :func:`load_any` reads either this form or the bench's own CSV form.
"""

from __future__ import annotations

import csv
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from recommend_data import Dataset, Interaction, Item, load_csv

__all__ = ["DEFAULT_ITEMS", "DEFAULT_LOANS", "LOANS_MEMBER", "before", "is_loans_form", "load_any", "load_loans"]

_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "library-loans"
DEFAULT_LOANS = _DATA / "interactions_before_cutoff.csv"
DEFAULT_ITEMS = _DATA / "items.csv"
LOANS_MEMBER = "library"
"""The one member library the loans data comes from."""


def _header(path: Path) -> list[str]:
    with path.open(encoding="utf-8", newline="") as handle:
        return next(csv.reader(handle), [])


def is_loans_form(interactions_path: Path) -> bool:
    """Whether the file has the library-loans columns (``u,i,t``) rather than ``reader,item,at``."""
    return {"u", "i", "t"} <= set(_header(interactions_path))


def load_loans(interactions_path: Path, items_path: Path, split_at: datetime | None = None) -> Dataset:
    """Loans ``u,i,t`` and items ``Title,Author,...,Subjects,i`` as a :class:`Dataset` (one member)."""
    loans: list[Interaction] = []
    with interactions_path.open(encoding="utf-8", newline="") as handle:
        for number, row in enumerate(csv.DictReader(handle), start=2):
            try:
                at = datetime.fromtimestamp(float(row["t"]), UTC)
            except (KeyError, ValueError) as exc:
                raise SystemExit(
                    f"{interactions_path}:{number}: field 't' is not a Unix time: {row.get('t')!r}"
                ) from exc
            loans.append(Interaction(row["u"].strip(), row["i"].strip(), at, LOANS_MEMBER))
    first: dict[str, datetime] = {}
    for loan in loans:
        if loan.item not in first or loan.at < first[loan.item]:
            first[loan.item] = loan.at
    never = max(first.values(), default=datetime(2000, 1, 1, tzinfo=UTC)) + timedelta(days=1)
    items: dict[str, Item] = {}
    with items_path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            item_id = row["i"].strip()
            author = (row.get("Author") or "").strip()
            subjects = tuple(s.strip() for s in (row.get("Subjects") or "").split(";") if s.strip())
            # ISBD's " : " ends the title proper: the hub's records keep the rest apart (a cluster's subtitle).
            title, _, subtitle = (row.get("Title") or "").strip(" /").partition(" : ")
            items[item_id] = Item(
                item_id=item_id,
                title=title.strip() or item_id,
                subtitle=subtitle.strip() or None,
                authors=(author,) if author else (),
                year=None,
                subjects=subjects,
                classes=(),
                members=(LOANS_MEMBER,),
                arrived=first.get(item_id, never),
            )
    kept = [loan for loan in loans if loan.item in items]
    return Dataset(items, kept, split_at, f"{interactions_path.name} + {items_path.name} (real loans)")


def load_any(interactions_path: Path, items_path: Path, split_at: datetime | None = None) -> Dataset:
    """The loans form (:func:`load_loans`) or the bench's CSV form (:func:`recommend_data.load_csv`)."""
    if is_loans_form(interactions_path):
        return load_loans(interactions_path, items_path, split_at)
    return load_csv(interactions_path, items_path, split_at)


def before(dataset: Dataset, at: datetime) -> Dataset:
    """The data set as it was at ``at``: the loans before it, and the items that arrived later arriving a day
    after the last of those loans (so they are never "new" in it): a validation set cut from a training period."""
    loans = [row for row in dataset.interactions if row.at < at]
    never = max((row.at for row in loans), default=at) + timedelta(days=1)
    items = {
        item_id: item if item.arrived < at else replace(item, arrived=never) for item_id, item in dataset.items.items()
    }
    return Dataset(items, loans, None, f"{dataset.description}, before {at.isoformat()}")
