"""Building a cluster's merged record from its member records.

The rule: records are ranked by completeness (an ISBN or ISSN counts double; then each of subtitle, authors,
publisher, year, language, pages, edition, subjects and classification counts one; then the number of
identifiers), ties broken by the oldest ``first_seen`` and then by ``(member, local_id)``. Each descriptive field
comes from the best-ranked record that has it (the series too; its number from the best-ranked record of that
same series, so that one record's series never gets another series' volume; the uniform title from the best-ranked
record that gives one). Identifiers, subjects and classification codes are the union in rank order; holdings are
every member's, by member. The work id follows from the merged title, uniform title and authors
(:mod:`consortium.dedup.work_groups`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar

from consortium.construct import construct
from consortium.dedup.work_groups import work_id, work_key
from consortium.models import Classification, Cluster, Holding, Identifier, IdentifierScheme, Record
from consortium.text import match_text, plain_title

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from datetime import datetime

__all__ = ["completeness", "merge_cluster"]

T = TypeVar("T")

_ISBN, _ISSN = IdentifierScheme.ISBN, IdentifierScheme.ISSN


def completeness(record: Record) -> tuple[int, int]:
    identifiers = record.identifiers
    score = 2 if any(i.scheme is _ISBN or i.scheme is _ISSN for i in identifiers) else 0
    score += (
        bool(record.subtitle)
        + bool(record.authors)
        + bool(record.publisher)
        + bool(record.year)
        + bool(record.language)
        + bool(record.pages)
        + bool(record.edition)
        + bool(record.subjects)
        + bool(record.classifications)
    )
    return score, len(identifiers)


def merge_cluster(
    cluster_id: str,
    records: Sequence[Record],
    first_seen: dict[tuple[str, str], datetime],
    now: datetime,
    tokens: Sequence[Sequence[str]] | None = None,
) -> Cluster:
    """The merged cluster of ``records`` (at least one), ranked by the rule above; ``tokens``: each record's
    title's :func:`~consortium.text.title_tokens`, in the same order, when the caller has them."""
    if len(records) == 1:
        words = tokens[0] if tokens is not None else None
        return _single(cluster_id, records[0], first_seen.get(records[0].key, now), now, words)
    return _general(cluster_id, records, first_seen, now, tokens)


def _title_words(record: Record, tokens: Sequence[str] | None) -> Sequence[str] | None:
    """``title_tokens(core_title(record.title))`` when ``tokens`` (its title's tokens) are that already."""
    return tokens if tokens is not None and plain_title(record.title) else None


def _unique(values: list[T]) -> list[T]:
    """The values without repeats, in order (a copy); one value or none is not hashed."""
    return list(values) if len(values) < 2 else list(dict.fromkeys(values))


def _general(
    cluster_id: str,
    records: Sequence[Record],
    first_seen: dict[tuple[str, str], datetime],
    now: datetime,
    tokens: Sequence[Sequence[str]] | None = None,
) -> Cluster:
    def rank(record: Record) -> tuple[int, int, datetime, tuple[str, str]]:
        score, identifiers = completeness(record)
        key = record.key
        return -score, -identifiers, first_seen.get(key, now), key

    ranked = sorted(records, key=rank)

    identifiers: list[Identifier] = []
    subjects: list[str] = []
    classifications: list[Classification] = []
    for record in ranked:
        identifiers.extend(record.identifiers)
        subjects.extend(record.subjects)
        classifications.extend(record.classifications)
    identifiers, subjects, classifications = (
        list(dict.fromkeys(identifiers)),
        list(dict.fromkeys(subjects)),
        list(dict.fromkeys(classifications)),
    )
    holdings: list[Holding] = [h for r in sorted(records, key=lambda r: r.key) for h in r.holdings]
    best = ranked[0]
    best_tokens = next((t for r, t in zip(records, tokens, strict=True) if r is best), None) if tokens else None
    best_title = match_text(best.title)
    same_title = [r for r in ranked if r.title == best.title or match_text(r.title) == best_title]
    series = _first(ranked, lambda r: r.series)
    authors = _first(ranked, lambda r: r.authors) or []
    uniform_title = _first(ranked, lambda r: r.uniform_title)
    same_series = [r for r in ranked if r.series and match_text(r.series) == match_text(series)] if series else []
    # Every value comes from validated records (lists copied): the cluster needs no validating again (about a
    # third of a merge's time in a bulk clustering).
    return construct(
        Cluster,
        dict(
            cluster_id=cluster_id,
            records=sorted(r.key for r in records),
            format=best.format,
            title=best.title,
            subtitle=_first(same_title, lambda r: r.subtitle),
            uniform_title=uniform_title,
            work_id=work_id(work_key(best.title, authors, uniform_title, _title_words(best, best_tokens))),
            authors=list(authors),
            publisher=_first(ranked, lambda r: r.publisher),
            year=_first(ranked, lambda r: r.year),
            language=_first(ranked, lambda r: r.language),
            edition=_first(ranked, lambda r: r.edition),
            series=series,
            series_number=_first(same_series, lambda r: r.series_number),
            pages=_first(ranked, lambda r: r.pages),
            identifiers=identifiers,
            subjects=subjects,
            classifications=classifications,
            holdings=holdings,
            first_seen=min(first_seen.get(r.key, now) for r in records),
            updated_at=now,
        ),
    )


def _first(ranked: Sequence[Record], get: Callable[[Record], T | None]) -> T | None:
    for record in ranked:
        value = get(record)
        if value:
            return value
    return None


def _single(
    cluster_id: str, record: Record, first_seen: datetime, now: datetime, tokens: Sequence[str] | None = None
) -> Cluster:
    """A cluster of one record: its own fields (already validated), with the same result as the general rule
    but without ranking or validating again (most works of a consortium are held once)."""
    return construct(
        Cluster,
        dict(
            cluster_id=cluster_id,
            records=[record.key],
            format=record.format,
            title=record.title,
            subtitle=record.subtitle or None,
            uniform_title=record.uniform_title or None,
            work_id=work_id(
                work_key(record.title, record.authors, record.uniform_title or None, _title_words(record, tokens))
            ),
            authors=list(record.authors),
            publisher=record.publisher or None,
            year=record.year or None,
            language=record.language or None,
            edition=record.edition or None,
            series=record.series or None,
            series_number=(record.series_number or None) if record.series else None,
            pages=record.pages or None,
            identifiers=_unique(record.identifiers),
            subjects=_unique(record.subjects),
            classifications=_unique(record.classifications),
            holdings=list(record.holdings),
            first_seen=first_seen,
            updated_at=now,
        ),
    )
