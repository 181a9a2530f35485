"""KBART rows (NISO RP-9 title lists of e-journal and e-book packages) to :class:`~consortium.models.Record`."""

from __future__ import annotations

import datetime as dt
import re
from typing import TYPE_CHECKING

from consortium.errors import RecordError
from consortium.harvest.identifiers import InvalidIdentifierError, normalize_isbn, normalize_issn
from consortium.harvest.normalize.text import clean, first_year, unique
from consortium.models import Availability, Holding, Identifier, RawPointer, Record, ResourceFormat

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["KBART_REQUIRED", "kbart_local_id", "normalize_kbart_row"]

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
                f"{column}: {value[:40]!r} is not a date as KBART writes one (YYYY, YYYY-MM or YYYY-MM-DD)"
            ) from None
    first = (row.get("date_first_issue_online") or "").strip()
    last = (row.get("date_last_issue_online") or "").strip()
    common = min(len(first), len(last))
    if first and last and first[:common] > last[:common]:
        raise RecordError(f"date_last_issue_online: coverage ends ({last}) before it starts ({first})")


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


def normalize_kbart_row(
    row: Mapping[str, str],
    *,
    member: str,
    source_id: str,
    raw: RawPointer,
) -> Record:
    """Normalize one KBART row (a mapping of column name to value)."""
    title = clean(row.get("publication_title"))
    if not title:
        raise RecordError("publication_title: the row has no title")
    local_id = kbart_local_id(row)
    if not local_id:
        raise RecordError("title_id: the row has no title_id, identifier or title_url to key it by")
    kind = (row.get("publication_type") or "").strip().lower()
    if kind not in ("serial", "monograph"):
        raise RecordError(f"publication_type: {kind!r} is neither 'serial' nor 'monograph'")
    _check_dates(row)
    serial = kind == "serial"
    normalizer = normalize_issn if serial else normalize_isbn
    identifiers: list[Identifier] = []
    for column in ("print_identifier", "online_identifier"):
        value = (row.get(column) or "").strip()
        if not value:
            continue
        try:
            identifier = normalizer(value)
        except InvalidIdentifierError as exc:
            raise RecordError(f"{column}: {exc}") from exc
        if identifier is not None and identifier not in identifiers:
            identifiers.append(identifier)
    url = (row.get("title_url") or "").strip()
    if not url.startswith(("http://", "https://")):
        raise RecordError(f"title_url: {url!r} is not an http(s) URL")
    if serial:
        year = first_year(row.get("date_first_issue_online"))
    else:
        year = first_year(row.get("date_monograph_published_online"), row.get("date_monograph_published_print"))
    return Record(
        member=member,
        local_id=local_id,
        source_id=source_id,
        format=ResourceFormat.EJOURNAL if serial else ResourceFormat.EBOOK,
        title=title,
        authors=unique([clean(row.get("first_author")), clean(row.get("first_editor"))]),
        publisher=clean(row.get("publisher_name")),
        year=year,
        edition=clean(row.get("monograph_edition")),
        identifiers=identifiers,
        holdings=[
            Holding(member=member, url=url, availability=Availability.ONLINE, coverage=_coverage(row)),
        ],
        raw=raw,
    )
