"""The search port: what the core asks of a search index, in domain terms (no backend query language)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from consortium.models import Cluster
    from consortium.search.query import SearchQuery, SearchResult

__all__ = ["SearchIndex"]


class SearchIndex(Protocol):
    """The index readers search: one document per :class:`~consortium.models.Cluster`.

    Every adapter indexes :func:`~consortium.search.document.index_document` and carries out
    :func:`~consortium.search.plan.plan_query`, so they find the same clusters for the same query; scores
    differ between engines, rankings agree where the query decides them. Writes are visible to the next
    search once the call returns.

    Example
    -------
    >>> index.upsert(cluster_store.clusters())
    >>> result = index.search(SearchQuery(text="深度学习", languages=["chi"], facets=["member"], boost_member="pku"))
    >>> [hit.title for hit in result.hits], result.total, result.facets["member"]
    (['深度学习'], 1, [FacetCount(value='pku', count=1), FacetCount(value='thu', count=1)])
    >>> index.delete([result.hits[0].cluster_id])
    """

    def upsert(self, clusters: Iterable[Cluster]) -> None:
        """Index these clusters, replacing any document with the same ``cluster_id``; done in batches, so
        any number of clusters may be passed (a generator is read once)."""
        ...

    def delete(self, cluster_ids: Iterable[str]) -> None:
        """Remove these clusters from the index; ids that are not there are ignored."""
        ...

    def search(self, query: SearchQuery) -> SearchResult:
        """The page of matches that ``query`` asks for, the total, and the facet counts over all matches."""
        ...

    def count(self) -> int:
        """How many clusters are indexed."""
        ...

    def class_counts(self, parent: str, query: SearchQuery | None = None) -> dict[str, int]:
        """The classes right under ``parent`` in the class tree that indexed works are in, each with how many works
        are under it (at any depth), as ``{"clc:TP": 12, ...}``.

        ``parent`` is a class with its scheme (``clc:T``, ``lcc:QA76``, ``ddc:510``), or a scheme and a colon
        (``clc:``) for its main classes; the tree is :func:`~consortium.classification.class_lineage`'s, as the
        document's ``class_tree`` holds it (:func:`~consortium.search.document.class_edges`). With ``query``, only
        the works it matches count (its text, filters and ranges; not its page, sort or facets). At most
        :data:`~consortium.search.document.MAX_CLASS_CHILDREN` classes, those with the most works (ties by code).
        """
        ...

    def similar_terms(self, word: str, fields: Sequence[str]) -> dict[str, int]:
        """The terms of the analyzed document ``fields`` (``title_terms``, ``authors_terms``...) within spelling
        reach of ``word`` (:func:`~consortium.search.spelling.within_reach`: its first letter, at most two edits;
        not ``word`` itself), each with how many works hold it in one of those fields (the largest, an engine may
        count deleted works until it merges them away). Empty when ``word`` is not
        :func:`~consortium.search.spelling.correctable`.
        """
        ...

    def rebuild(self, clusters: Iterable[Cluster]) -> None:
        """Replace the whole index by ``clusters``; searches see the old index until the new one is complete."""
        ...

    def clear(self) -> None:
        """Remove every document."""
        ...
