"""A :class:`~consortium.search.query.SearchQuery` in index-document terms, for adapters to carry out.

The plan is what every adapter agrees on: which analyzed terms must match (each clause lists the
field-and-term alternatives that satisfy it, with their boosts), which keyword filters apply (a class at any depth
is the keyword ``class_chain``), the integer ranges (years; first-seen times in microseconds, the half-open period
made inclusive), the member boost, and the facet fields. It is plain data, not any engine's query language: the
in-memory adapter evaluates it directly, the tantivy adapter builds ``tantivy.Query`` objects from it, and the
OpenSearch adapter builds a ``bool`` query.

Matching: every clause must be satisfied (all words of a query, in any of the fields); a Chinese word is
satisfied by its characters and character pairs (:mod:`consortium.search.analysis`). Scoring: each clause adds
its matching alternatives' scores, times their boost; a document held by the reader's library gains
:data:`MEMBER_BOOST`.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from stdnum import isbn as _isbn
from stdnum import issn as _issn

from consortium.search.analysis import analyze_name, analyze_text
from consortium.search.document import FACET_FIELDS, TERM_FIELDS, epoch_microseconds, from_epoch_microseconds
from consortium.search.query import FacetCount, SearchHit
from consortium.text import is_cjk

if TYPE_CHECKING:
    from collections.abc import Mapping

    from consortium.search.query import SearchQuery

__all__ = [
    "FACET_LIMIT",
    "MEMBER_BOOST",
    "Clause",
    "KeywordFilter",
    "QueryPlan",
    "RangeFilter",
    "Term",
    "facet_counts",
    "hit_from_document",
    "plan_query",
]

MEMBER_BOOST: Final = 1.5
"""Added to the score of a match held by the reader's own library."""
FACET_LIMIT: Final = 20
"""The most values a facet lists (by count, then value)."""

_ISBN_LIKE = re.compile(r"(?:97[89]-?)?\d[\d-]{7,15}[\dX]")
_ISSN_LIKE = re.compile(r"\d{4}-?\d{3}[\dX]")


@dataclass(frozen=True)
class Term:
    """One analyzed term in one document field, and the boost of a match there."""

    field: str
    value: str
    boost: float = 1.0


@dataclass(frozen=True)
class Clause:
    """A term the query requires: a document satisfies it by any of the alternatives."""

    alternatives: tuple[Term, ...]


@dataclass(frozen=True)
class KeywordFilter:
    """The document's keyword ``field`` must hold one of ``values`` (exactly)."""

    field: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class RangeFilter:
    """The document's integer ``field`` must lie between ``lower`` and ``upper``, both included (``None``: that end
    is open); a document without the field is outside every range."""

    field: str
    lower: int | None
    upper: int | None


@dataclass(frozen=True)
class QueryPlan:
    clauses: tuple[Clause, ...]
    """All must be satisfied; none means every document matches."""
    filters: tuple[KeywordFilter, ...]
    ranges: tuple[RangeFilter, ...]
    """``year``, ``first_seen_us``: each one present must hold."""
    boost_member: str | None
    facets: tuple[tuple[str, str], ...]
    """``(facet name, document field)`` for each facet asked for."""


def plan_query(query: SearchQuery) -> QueryPlan:
    """The plan for ``query``.

    Free text is read word by word: a word that is a valid ISBN (either form, hyphens allowed) or ISSN matches
    that identifier; any other word gives its analyzed terms, each to be found in the title, authors, subjects
    or publisher. Text with no searchable word in it (only punctuation) is treated as no text.

    Example
    -------
    >>> plan_query(SearchQuery(text="深度", members=["pku"])).clauses[0].alternatives[0]
    Term(field='title_terms', value='深度', boost=3.0)
    """
    clauses: list[Clause] = []
    for word in query.text.split():
        clauses.extend(_free_word(word))
    for value, field, analyzer in (
        (query.title, "title_terms", analyze_text),
        (query.author, "authors_terms", analyze_name),
        (query.subject, "subjects_terms", analyze_text),
    ):
        if value:
            terms, _ = _query_terms(analyzer(value), [])
            clauses.extend(Clause((Term(field, term, TERM_FIELDS[field]),)) for term in terms)
    if query.isbn:
        clauses.append(Clause((Term("isbns", _normalized_isbn(query.isbn)),)))
    filters = [
        KeywordFilter(field, tuple(values))
        for field, values in (
            ("members", query.members),
            ("format", [f.value for f in query.formats]),
            ("language", query.languages),
            ("class_top", query.classes),
            ("class_chain", query.class_codes),
            ("subjects", query.subjects),
            ("work_id", query.works),
        )
        if values
    ]
    if query.visible_members is not None:
        filters.append(KeywordFilter("members", tuple(query.visible_members)))
    ranges = []
    if query.year_from is not None or query.year_to is not None:
        ranges.append(RangeFilter("year", query.year_from, query.year_to))
    if query.first_seen_from is not None or query.first_seen_before is not None:
        before = query.first_seen_before
        ranges.append(
            RangeFilter(
                "first_seen_us",
                epoch_microseconds(query.first_seen_from) if query.first_seen_from is not None else None,
                epoch_microseconds(before) - 1 if before is not None else None,
            )
        )
    return QueryPlan(
        clauses=tuple(dict.fromkeys(clauses)),
        filters=tuple(filters),
        ranges=tuple(ranges),
        boost_member=query.boost_member,
        facets=tuple((name, FACET_FIELDS[name]) for name in query.facets),
    )


def _free_word(word: str) -> list[Clause]:
    """The clauses of one word of free text: each of its terms in any text field, or the ISBN/ISSN it is."""
    compact = unicodedata.normalize("NFKC", word).strip("\"'()[],.;").upper()
    text_terms, name_terms = _query_terms(analyze_text(word), analyze_name(word))
    identifiers: list[Term] = []
    if _ISBN_LIKE.fullmatch(compact) and _isbn.is_valid(compact):
        identifiers.append(Term("isbns", _normalized_isbn(compact)))
    elif _ISSN_LIKE.fullmatch(compact) and _issn.is_valid(compact):
        digits = compact.replace("-", "")
        identifiers.append(Term("issns", f"{digits[:4]}-{digits[4:]}"))
    if identifiers:
        # A number that is an identifier may also be a word of a title ("1984"): one clause for both.
        if len(text_terms) == 1:
            identifiers.extend(_text_alternatives(text_terms[0], name_terms[0]))
        return [Clause(tuple(identifiers))]
    return [Clause(_text_alternatives(t, n)) for t, n in zip(text_terms, name_terms, strict=True)]


def _query_terms(terms: list[str], parallel: list[str]) -> tuple[list[str], list[str]]:
    """Query terms without the single Chinese characters that a character pair of the query already requires
    (a document holding 深度 in a field holds 深 there too): fewer clauses, the same matches."""
    covered = {char for term in terms if len(term) == 2 and all(is_cjk(c) for c in term) for char in term}
    keep = [not (len(term) == 1 and term in covered) for term in terms]
    return [t for t, k in zip(terms, keep, strict=True) if k], [t for t, k in zip(parallel, keep, strict=False) if k]


def _text_alternatives(text_term: str, name_term: str) -> tuple[Term, ...]:
    return tuple(
        Term(field, name_term if field == "authors_terms" else text_term, boost) for field, boost in TERM_FIELDS.items()
    )


def _normalized_isbn(value: str) -> str:
    """The ISBN-13 of a valid ISBN, else the value without hyphens or spaces (which then matches nothing)."""
    compact = re.sub(r"[\s-]", "", unicodedata.normalize("NFKC", value)).upper()
    if _isbn.is_valid(compact):
        return str(_isbn.to_isbn13(compact))
    return compact


def facet_counts(counts: Mapping[str, int]) -> list[FacetCount]:
    """The facet values to show: the :data:`FACET_LIMIT` most frequent, ties by value."""
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return [FacetCount(value=value, count=count) for value, count in ranked[:FACET_LIMIT] if count > 0]


def hit_from_document(document: Mapping[str, Any], score: float | None) -> SearchHit:
    """The result-list entry for an index document (as :func:`~consortium.search.document.index_document`
    made it, or as an engine stored its fields)."""
    first_seen = document.get("first_seen_us")
    return SearchHit(
        cluster_id=document["cluster_id"],
        score=score,
        title=document["title"],
        authors=list(document.get("authors") or []),
        year=document.get("year"),
        format=document["format"],
        language=document.get("language"),
        members=list(document.get("members") or []),
        first_seen=from_epoch_microseconds(first_seen) if first_seen is not None else None,
        classes=list(document.get("class_codes") or []),
        work_id=document.get("work_id"),
    )
