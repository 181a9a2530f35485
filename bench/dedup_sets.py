"""Labelled pair sets read into records, for bench/dedup_quality.py.

Two formats: Ditto/DeepMatcher text pairs (``LEFT \\t RIGHT \\t LABEL``, each side ``COL name VAL value ...``)
and Magellan labelled-pair CSVs (``ltable_*``/``rtable_*`` columns and a 0/1 label column), whose columns are
mapped onto the record's fields by ``--columns title=Name,authors=Author,...``.
"""

from __future__ import annotations

import csv
import html
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from consortium.harvest.identifiers import normalize_isbn
from consortium.models import RawPointer, Record, ResourceFormat

if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["FIELDS", "LabelledSet", "read_ditto", "read_magellan", "to_record"]

FIELDS = ("title", "authors", "publication", "publisher", "year", "isbn", "series", "pages", "format")
"""The record fields a column can be mapped onto (``publication``: a publication statement or venue)."""
DITTO_COLUMNS = {"title": "title", "authors": "authors", "venue": "publication", "year": "year"}
_FIELD = re.compile(r"COL (\w+) VAL(.*?)(?= COL \w+ VAL|$)")
_YEAR = re.compile(r"\b(1[5-9]\d\d|20\d\d)\b")
_ELECTRONIC = re.compile(r"kindle|e-?book|electronic|digital|nook|audible|audio", re.IGNORECASE)
_REFERENCE = re.compile(r"&(?:#\d+|#x[0-9a-fA-F]+|[a-zA-Z]+);")
_RAW = RawPointer(digest="0" * 64, media_type="text/plain")


@dataclass
class LabelledSet:
    """Records (left ones of member ``left``, right ones of ``right``), the labelled pairs, and other pairs of
    the same records given unlabelled (the candidate pairs a matcher is fitted on: all pairs of the set)."""

    name: str
    records: list[Record] = field(default_factory=list)
    labelled: list[tuple[int, int, bool]] = field(default_factory=list)
    unlabelled: list[tuple[int, int]] = field(default_factory=list)
    texts: list[dict[str, str]] = field(default_factory=list)
    """Each record's mapped fields as text (what the peers compare)."""
    _index: dict[tuple[str, str], int] = field(default_factory=dict)

    def add(self, side: str, fields: dict[str, str]) -> int:
        text = "\x1f".join(f"{k}={fields.get(k, '')}" for k in FIELDS)
        found = self._index.get((side, text))
        if found is not None:
            return found
        number = len(self.records)
        self.records.append(to_record(side, f"{side[0]}{number}", fields))
        self.texts.append({k: fields.get(k, "") for k in FIELDS})
        self._index[(side, text)] = number
        return number


def to_record(member: str, local_id: str, fields: dict[str, str]) -> Record:
    """A record from mapped text fields: a title's subtitle after its first colon, authors split on commas
    (``" , "`` or ``", "`` between names) or semicolons, the year found in a year or date text."""
    title, _, subtitle = (fields.get("title") or "").partition(": ")
    year_text = fields.get("year", "")
    year = _YEAR.search(year_text.replace(".0", ""))
    pages = re.match(r"\d+", fields.get("pages", "").strip())
    isbn = normalize_isbn(fields["isbn"]) if fields.get("isbn") else None
    # A character reference's semicolon ("fran &#231; ois") is not a list separator: decoded before splitting.
    raw_authors = _REFERENCE.sub(lambda m: html.unescape(m.group()), fields.get("authors", ""))
    authors = [a.strip() for a in re.split(r"\s*[;,]\s+|\s+,\s*| and ", raw_authors) if a.strip()]
    electronic = bool(_ELECTRONIC.search(fields.get("format", "")))
    publisher = fields.get("publication") or fields.get("publisher") or None
    return Record(
        member=member,
        local_id=local_id,
        source_id="bench",
        format=ResourceFormat.EBOOK if electronic else ResourceFormat.BOOK,
        title=title.strip() or "(untitled)",
        subtitle=subtitle.strip() or None,
        authors=authors,
        publisher=publisher,
        year=int(year.group(1)) if year else None,
        pages=int(pages.group()) or None if pages else None,
        series=fields.get("series") or None,
        identifiers=[isbn] if isbn else [],
        raw=_RAW,
    )


def _ditto_side(text: str) -> dict[str, str]:
    found = {name: value.strip() for name, value in _FIELD.findall(text.strip())}
    return {DITTO_COLUMNS.get(k, k): v for k, v in found.items() if v}


def read_ditto(name: str, score: Path, others: list[Path]) -> LabelledSet:
    """Ditto/DeepMatcher text pairs: ``score`` labelled, ``others`` (the other splits) as unlabelled pairs."""
    result = LabelledSet(name)
    for path in [score, *others]:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            parts = line.split("\t")
            if len(parts) != 3 or parts[2].strip() not in ("0", "1"):
                raise SystemExit(f"{path}:{number}: not LEFT \\t RIGHT \\t 0|1")
            i = result.add("left", _ditto_side(parts[0]))
            j = result.add("right", _ditto_side(parts[1]))
            if path == score:
                result.labelled.append((i, j, parts[2].strip() == "1"))
            else:
                result.unlabelled.append((i, j))
    return result


def read_magellan(name: str, path: Path, columns: dict[str, str], label: str | None) -> LabelledSet:
    """A Magellan labelled-pair CSV; ``columns`` maps record fields onto column names (without the
    ``ltable_``/``rtable_`` prefix); ``label`` names the 0/1 column (default: the last one)."""
    for target in columns:
        if target not in FIELDS:
            raise SystemExit(f"--columns: unknown field {target!r} (fields: {', '.join(FIELDS)})")
    result = LabelledSet(name)
    with path.open(encoding="utf-8", newline="") as stream:
        reader = csv.DictReader(stream)
        header = reader.fieldnames or []
        label = label or header[-1]
        for column in [*(f"{side}_{c}" for c in columns.values() for side in ("ltable", "rtable")), label]:
            if column not in header:
                raise SystemExit(f"{path}: no column {column!r} (columns: {', '.join(header)})")
        for number, row in enumerate(reader, 2):
            if row[label].strip() not in ("0", "1"):
                raise SystemExit(f"{path}:{number}: label {row[label]!r} is not 0 or 1")
            sides = [
                {k: (row[f"{side}_{c}"] or "").strip() for k, c in columns.items()} for side in ("ltable", "rtable")
            ]
            i, j = result.add("left", sides[0]), result.add("right", sides[1])
            result.labelled.append((i, j, row[label].strip() == "1"))
    return result
