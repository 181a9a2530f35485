"""In-memory search index: the reference implementation of the search port, and the unit tests' fake."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

from consortium.search.document import child_counts
from consortium.search.matching import MatchDocument, matches
from consortium.search.plan import facet_counts, hit_from_document, plan_query
from consortium.search.query import SearchResult
from consortium.search.spelling import correctable, within_reach

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from consortium.models import Cluster
    from consortium.search.query import SearchQuery

__all__ = ["InMemorySearchIndex"]


class InMemorySearchIndex:
    """A :class:`~consortium.search.ports.SearchIndex` held in a dict, searched by scanning every document
    (:func:`~consortium.search.matching.matches`).

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
        self._documents: dict[str, MatchDocument] = {}

    def upsert(self, clusters: Iterable[Cluster]) -> None:
        for cluster in clusters:
            self._documents[cluster.cluster_id] = MatchDocument.of(cluster)

    def delete(self, cluster_ids: Iterable[str]) -> None:
        for cluster_id in cluster_ids:
            self._documents.pop(cluster_id, None)

    def count(self) -> int:
        return len(self._documents)

    def rebuild(self, clusters: Iterable[Cluster]) -> None:
        self._documents = {cluster.cluster_id: MatchDocument.of(cluster) for cluster in clusters}

    def clear(self) -> None:
        self._documents.clear()

    def search(self, query: SearchQuery) -> SearchResult:
        plan = plan_query(query)
        found = matches(query, self._documents.values(), plan)
        page = found[query.offset : query.offset + query.page_size]
        relevance = query.sort == "relevance"
        facets = {}
        for name, field in plan.facets:
            counts: Counter[str] = Counter()
            for _, document in found:
                counts.update(set(document.values(field)))
            facets[name] = facet_counts(counts)
        return SearchResult(
            total=len(found),
            hits=[hit_from_document(document.document, score if relevance else None) for score, document in page],
            facets=facets,
            page=query.page,
            page_size=query.page_size,
        )

    def class_counts(self, parent: str, query: SearchQuery | None = None) -> dict[str, int]:
        documents = (
            self._documents.values() if query is None else [d for _, d in matches(query, self._documents.values())]
        )
        prefix = f"{parent}>"
        edges: Counter[str] = Counter()
        for document in documents:
            edges.update(edge for edge in document.values("class_tree") if edge.startswith(prefix))
        return child_counts(parent, edges)

    def similar_terms(self, word: str, fields: Sequence[str]) -> dict[str, int]:
        if not correctable(word):
            return {}
        found: dict[str, int] = {}
        for field in fields:
            held: Counter[str] = Counter()
            for document in self._documents.values():
                held.update(term for term in document.terms[field] if within_reach(word, term))
            for term, count in held.items():
                found[term] = max(found.get(term, 0), count)
        return found
