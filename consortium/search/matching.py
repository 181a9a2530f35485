"""Matching a query against documents held in memory: the in-memory index's engine, and the saved-search
matcher push runs over a window's new works (a pure function of the query and the works, no index needed).

Both carry out :func:`~consortium.search.plan.plan_query` exactly as the other engines do, so a saved search
finds in a digest what the same query finds in the portal.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from consortium.errors import ConsortiumError
from consortium.search.document import TERM_FIELDS, index_document
from consortium.search.plan import MEMBER_BOOST, plan_query
from consortium.search.query import parse_query_string

if TYPE_CHECKING:
    from collections.abc import Iterable

    from consortium.models import Cluster
    from consortium.search.plan import QueryPlan
    from consortium.search.query import SearchQuery

__all__ = ["MatchDocument", "SavedSearches", "matches", "score", "sort_key"]

logger = logging.getLogger(__name__)

_IDENTIFIER_FIELDS = ("isbns", "issns")
SAVED_SEARCH_LIMIT = 100
"""The most works one saved search contributes to one digest's candidates."""


@dataclass
class MatchDocument:
    document: dict[str, Any]
    terms: dict[str, Counter[str]]
    """Term frequencies in each field a clause may name."""

    @classmethod
    def of(cls, cluster: Cluster) -> MatchDocument:
        document = index_document(cluster)
        terms = {field: Counter(document[field].split()) for field in TERM_FIELDS}
        terms.update({field: Counter(document[field]) for field in _IDENTIFIER_FIELDS})
        return cls(document, terms)

    def values(self, field: str) -> list[str]:
        """The keyword values of ``field`` (a list field, or a single value), as strings."""
        value = self.document.get(field)
        if value is None:
            return []
        return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def matches(
    query: SearchQuery, documents: Iterable[MatchDocument], plan: QueryPlan | None = None
) -> list[tuple[float, MatchDocument]]:
    """Every document that matches ``query`` with its score, in the order ``query.sort`` asks for (``plan``:
    the query's plan when the caller has made it already)."""
    plan = plan if plan is not None else plan_query(query)
    found: list[tuple[float, MatchDocument]] = []
    for document in documents:
        value = score(plan, document)
        if value is not None:
            found.append((value, document))
    found.sort(key=sort_key(query.sort))
    return found


class SavedSearches:
    """Readers' saved searches run over a fixed set of works (a push window's new works), each query text once.

    Example
    -------
    >>> searches = SavedSearches(new_clusters)
    >>> searches("title:rust")
    ['c-rust']
    """

    def __init__(self, clusters: Iterable[Cluster]) -> None:
        self._clusters = clusters
        self._documents: list[MatchDocument] | None = None
        self._found: dict[str, list[str]] = {}

    def __call__(self, text: str) -> list[str]:
        """The ids of the works the saved query ``text`` finds, best first (at most :data:`SAVED_SEARCH_LIMIT`);
        a query that no longer parses finds nothing (and is logged, without the reader)."""
        if text not in self._found:
            if self._documents is None:
                self._documents = [MatchDocument.of(cluster) for cluster in self._clusters]
            try:
                query = parse_query_string(text)
            except ConsortiumError as exc:
                logger.warning("a saved search does not run: %s", exc)
                self._found[text] = []
            else:
                found = matches(query, self._documents)[:SAVED_SEARCH_LIMIT]
                self._found[text] = [document.document["cluster_id"] for _, document in found]
        return self._found[text]


def score(plan: QueryPlan, indexed: MatchDocument) -> float | None:
    """The document's score, or ``None`` when it does not match."""
    for keyword in plan.filters:
        if not set(keyword.values) & set(indexed.values(keyword.field)):
            return None
    for bounds in plan.ranges:
        value = indexed.document.get(bounds.field)
        if value is None:
            return None
        if (bounds.lower is not None and value < bounds.lower) or (bounds.upper is not None and value > bounds.upper):
            return None
    score = 0.0 if plan.clauses else 1.0
    for clause in plan.clauses:
        clause_score = sum(indexed.terms[t.field][t.value] * t.boost for t in clause.alternatives)
        if clause_score == 0:
            return None
        score += clause_score
    if plan.boost_member is not None and plan.boost_member in indexed.document["members"]:
        score += MEMBER_BOOST
    return score


def sort_key(sort: str) -> Any:
    def relevance(match: tuple[float, MatchDocument]) -> tuple[Any, ...]:
        return (-match[0], match[1].document["cluster_id"])

    def year(match: tuple[float, MatchDocument], sign: int) -> tuple[Any, ...]:
        value = match[1].document["year"]
        return (value is None, sign * (value or 0), match[1].document["cluster_id"])

    def title(match: tuple[float, MatchDocument]) -> tuple[Any, ...]:
        return (match[1].document["title_sort"], match[1].document["cluster_id"])

    def newest(match: tuple[float, MatchDocument]) -> tuple[Any, ...]:
        return (-match[1].document["first_seen_us"], match[1].document["cluster_id"])

    if sort == "year_desc":
        return lambda match: year(match, -1)
    if sort == "year_asc":
        return lambda match: year(match, 1)
    if sort == "title":
        return title
    if sort == "newest":
        return newest
    return relevance
