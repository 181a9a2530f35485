"""KBART rows (NISO RP-9 title lists of e-journal and e-book packages) to :class:`~consortium.models.Record`."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from consortium.errors import RecordError
from consortium.harvest.identifiers import InvalidIdentifierError, normalize_isbn, normalize_issn
from consortium.harvest.normalize.text import clean, first_year, unique
from consortium.harvest.refusals import Refusal
from consortium.models import Availability, Holding, Identifier, RawPointer, Record, ResourceFormat

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

__all__ = ["KBART_REQUIRED", "kbart_local_id", "normalize_kbart_row", "normalize_kbart_title"]

KBART_REQUIRED = ("publication_title", "title_url", "publication_type")

_DATE_COLUMNS = (
    "date_first_issue_online",
    "date_last_issue_online",
    "date_monograph_published_print",
    "date_monograph_published_online",
)
_KBART_DATE = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")


def _check_dates(row: Mapping[str, str]) -> None:
    """A date column that is not a date as KBART writes one (ISO 8601: ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``),
    or coverage that ends before it starts, raises :class:`RecordError` naming the column."""
    for column in _DATE_COLUMNS:
        value = (row.get(column) or "").strip()
        if not value:
            continue
        match = _KBART_DATE.fullmatch(value)
        try:
            if match is None:
                raise ValueError(value)
            year, month, day = (int(part) if part else 1 for part in match.groups())
            dt.date(year, month, day)
        except ValueError:
            raise RecordError(
                f"{column}: {value[:40]!r} is not a date as KBART writes one (YYYY, YYYY-MM or YYYY-MM-DD)",
                error_code=Refusal.INVALID_VALUE,
                field=column,
            ) from None
    first = (row.get("date_first_issue_online") or "").strip()
    last = (row.get("date_last_issue_online") or "").strip()
    common = min(len(first), len(last))
    if first and last and first[:common] > last[:common]:
        raise RecordError(
            f"date_last_issue_online: coverage ends ({last}) before it starts ({first})",
            error_code=Refusal.INVALID_VALUE,
            field="date_last_issue_online",
        )


def kbart_local_id(row: Mapping[str, str]) -> str | None:
    for column in ("title_id", "online_identifier", "print_identifier", "title_url"):
        value = (row.get(column) or "").strip()
        if value:
            return value
    return None


def _coverage(row: Mapping[str, str]) -> str | None:
    def end(prefix: str) -> str:
        parts = [
            (row.get(f"date_{prefix}_issue_online") or "").strip(),
            f"v.{v}" if (v := (row.get(f"num_{prefix}_vol_online") or "").strip()) else "",
            f"no.{n}" if (n := (row.get(f"num_{prefix}_issue_online") or "").strip()) else "",
        ]
        return " ".join(p for p in parts if p)

    first, last = end("first"), end("last")
    if not first and not last:
        return None
    coverage = f"{first or '?'} - {last or 'present'}"
    embargo = (row.get("embargo_info") or "").strip()
    return f"{coverage} (embargo {embargo})" if embargo else coverage


@dataclass(frozen=True, slots=True)
class _Range:
    """What one row of a title says: the title-level facts and its own coverage range."""

    number: int
    kind: str
    identifiers: list[Identifier]
    url: str
    coverage: str | None
    start: str
    """``date_first_issue_online`` as written (``""``: not given): what the ranges are ordered by."""


def _read_row(number: int, row: Mapping[str, str]) -> _Range:
    """One row checked column by column (:class:`RecordError` naming the column)."""
    if not clean(row.get("publication_title")):
        raise RecordError(
            "publication_title: the row has no title", error_code=Refusal.NO_TITLE, field="publication_title"
        )
    if not kbart_local_id(row):
        raise RecordError(
            "title_id: the row has no title_id, identifier or title_url to key it by",
            error_code=Refusal.NO_ID,
            field="title_id",
        )
    kind = (row.get("publication_type") or "").strip().lower()
    if kind not in ("serial", "monograph"):
        raise RecordError(
            f"publication_type: {kind!r} is neither 'serial' nor 'monograph'",
            error_code=Refusal.INVALID_VALUE,
            field="publication_type",
        )
    _check_dates(row)
    normalizer = normalize_issn if kind == "serial" else normalize_isbn
    identifiers: list[Identifier] = []
    for column in ("print_identifier", "online_identifier"):
        value = (row.get(column) or "").strip()
        if not value:
            continue
        try:
            identifier = normalizer(value)
        except InvalidIdentifierError as exc:
            raise RecordError(f"{column}: {exc}", error_code=exc.error_code, field=column) from exc
        if identifier is not None and identifier not in identifiers:
            identifiers.append(identifier)
    url = (row.get("title_url") or "").strip()
    if not url.startswith(("http://", "https://")):
        raise RecordError(
            f"title_url: {url!r} is not an http(s) URL", error_code=Refusal.INVALID_VALUE, field="title_url"
        )
    start = (row.get("date_first_issue_online") or "").strip()
    return _Range(number, kind, identifiers, url, _coverage(row), start)


def normalize_kbart_title(
    rows: Sequence[tuple[int, Mapping[str, str]]],
    *,
    member: str,
    source_id: str,
    raw: RawPointer,
) -> Record:
    """Normalize the rows of one title (each with its line number in the file), merged into one record.

    KBART (NISO RP-9-2014) gives a title whose coverage has gaps one line per continuous range of coverage, the
    title's fields repeated on each. Every range is kept: one online holding per ``title_url``, its coverage
    statements in the order the ranges start (``1995 - 2001; 2005 - present``). The title, authors, publisher and
    edition are the first row's; the identifiers are every row's. A row that cannot be read makes the whole title
    fail, its reason starting with the row's line number when the title has several rows (a title stored with a
    range missing would show readers a gap the member does not have).
    """
    if not rows:
        raise RecordError("title_id: no row", error_code=Refusal.NO_ID, field="title_id")
    ranges: list[_Range] = []
    for number, row in rows:
        try:
            ranges.append(_read_row(number, row))
        except RecordError as exc:
            reason = f"row {number}: {exc}" if len(rows) > 1 else str(exc)
            raise RecordError(reason, error_code=exc.error_code, field=exc.field) from exc
    first_number, first = rows[0]
    kind = ranges[0].kind
    for other in ranges[1:]:
        if other.kind != kind:
            raise RecordError(
                f"row {other.number}: publication_type: {other.kind!r}, but row {first_number} of the same title "
                f"says {kind!r}",
                error_code=Refusal.INVALID_VALUE,
                field="publication_type",
            )
    identifiers = list(dict.fromkeys(i for r in ranges for i in r.identifiers))
    ranges.sort(key=lambda r: (r.start, r.number))
    coverage: dict[str, list[str]] = {}
    for covered in ranges:
        coverage.setdefault(covered.url, [])
        if covered.coverage and covered.coverage not in coverage[covered.url]:
            coverage[covered.url].append(covered.coverage)
    serial = kind == "serial"
    if serial:
        year = min((y for _, row in rows if (y := first_year(row.get("date_first_issue_online")))), default=None)
    else:
        year = first_year(first.get("date_monograph_published_online"), first.get("date_monograph_published_print"))
    local_id = kbart_local_id(first)
    assert local_id is not None  # _read_row checked it
    return Record(
        member=member,
        local_id=local_id,
        source_id=source_id,
        format=ResourceFormat.EJOURNAL if serial else ResourceFormat.EBOOK,
        title=clean(first.get("publication_title")) or "",
        authors=unique([clean(first.get("first_author")), clean(first.get("first_editor"))]),
        publisher=clean(first.get("publisher_name")),
        year=year,
        edition=clean(first.get("monograph_edition")),
        identifiers=identifiers,
        holdings=[
            Holding(member=member, url=url, availability=Availability.ONLINE, coverage="; ".join(ranges_) or None)
            for url, ranges_ in coverage.items()
        ],
        raw=raw,
    )


def normalize_kbart_row(row: Mapping[str, str], *, member: str, source_id: str, raw: RawPointer) -> Record:
    """Normalize one KBART row (a mapping of column name to value): a title of one coverage range."""
    return normalize_kbart_title([(2, row)], member=member, source_id=source_id, raw=raw)
