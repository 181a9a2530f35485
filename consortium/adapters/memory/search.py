"""In-memory search index: the reference implementation of the search port, and the unit tests' fake."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from consortium.search.document import TERM_FIELDS, index_document
from consortium.search.plan import MEMBER_BOOST, facet_counts, hit_from_document, plan_query
from consortium.search.query import SearchResult

if TYPE_CHECKING:
    from collections.abc import Iterable

    from consortium.models import Cluster
    from consortium.search.plan import QueryPlan
    from consortium.search.query import SearchQuery

__all__ = ["InMemorySearchIndex"]

_IDENTIFIER_FIELDS = ("isbns", "issns")


@dataclass
class _Indexed:
    document: dict[str, Any]
    terms: dict[str, Counter[str]]
    """Term frequencies in each field a clause may name."""

    @classmethod
    def of(cls, cluster: Cluster) -> _Indexed:
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


class InMemorySearchIndex:
    """A :class:`~consortium.search.ports.SearchIndex` held in a dict, searched by scanning every document.

    Scoring is plain term frequency: a clause scores the sum, over its matching alternatives, of how often
    the term occurs in the field times the field's boost (title x3, authors x2); a document held by the
    reader's library gains :data:`~consortium.search.plan.MEMBER_BOOST`. Ties go by ``cluster_id``.

    Example
    -------
    >>> index = InMemorySearchIndex()
    >>> index.upsert([cluster])
    >>> index.search(SearchQuery(text="三体")).total
    1
    """

    def __init__(self) -> None:
        self._documents: dict[str, _Indexed] = {}

    def upsert(self, clusters: Iterable[Cluster]) -> None:
        for cluster in clusters:
            self._documents[cluster.cluster_id] = _Indexed.of(cluster)

    def delete(self, cluster_ids: Iterable[str]) -> None:
        for cluster_id in cluster_ids:
            self._documents.pop(cluster_id, None)

    def count(self) -> int:
        return len(self._documents)

    def rebuild(self, clusters: Iterable[Cluster]) -> None:
        fresh = InMemorySearchIndex()
        fresh.upsert(clusters)
        self.__dict__.update(fresh.__dict__)

    def clear(self) -> None:
        self._documents.clear()

    def search(self, query: SearchQuery) -> SearchResult:
        plan = plan_query(query)
        matches: list[tuple[float, _Indexed]] = []
        for indexed in self._documents.values():
            score = _score(plan, indexed)
            if score is not None:
                matches.append((score, indexed))
        matches.sort(key=_sort_key(query.sort))
        page = matches[query.offset : query.offset + query.page_size]
        relevance = query.sort == "relevance"
        facets = {}
        for name, field in plan.facets:
            counts: Counter[str] = Counter()
            for _, indexed in matches:
                counts.update(set(indexed.values(field)))
            facets[name] = facet_counts(counts)
        return SearchResult(
            total=len(matches),
            hits=[hit_from_document(indexed.document, score if relevance else None) for score, indexed in page],
            facets=facets,
            page=query.page,
            page_size=query.page_size,
        )


def _score(plan: QueryPlan, indexed: _Indexed) -> float | None:
    """The document's score, or ``None`` when it does not match."""
    for keyword in plan.filters:
        if not set(keyword.values) & set(indexed.values(keyword.field)):
            return None
    if plan.year_from is not None or plan.year_to is not None:
        year = indexed.document.get("year")
        if year is None:
            return None
        if (plan.year_from is not None and year < plan.year_from) or (plan.year_to is not None and year > plan.year_to):
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


def _sort_key(sort: str) -> Any:
    def relevance(match: tuple[float, _Indexed]) -> tuple[Any, ...]:
        return (-match[0], match[1].document["cluster_id"])

    def year(match: tuple[float, _Indexed], sign: int) -> tuple[Any, ...]:
        value = match[1].document["year"]
        return (value is None, sign * (value or 0), match[1].document["cluster_id"])

    def title(match: tuple[float, _Indexed]) -> tuple[Any, ...]:
        return (match[1].document["title_sort"], match[1].document["cluster_id"])

    if sort == "year_desc":
        return lambda match: year(match, -1)
    if sort == "year_asc":
        return lambda match: year(match, 1)
    if sort == "title":
        return title
    return relevance
