"""Query translation for OpenSearch: a :class:`~consortium.search.plan.QueryPlan` as a search request body, and
the response as a :class:`~consortium.search.query.SearchResult`.

Queries are :func:`~consortium.search.plan.plan_query` turned into a ``bool`` query: every clause a ``must``
(term queries on the pre-analyzed ``*_terms`` fields, whitespace analyzer, with the boosts of
:data:`~consortium.search.document.TERM_FIELDS`), keyword filters (``class_chain`` for classes at any depth) and
the ranges (``year``, ``first_seen_us``) in ``filter`` (no score),
the reader's library a ``should`` with a constant score of :data:`~consortium.search.plan.MEMBER_BOOST`. So
OpenSearch finds exactly the clusters the other adapters find; scores are OpenSearch's BM25. Facets are
``terms`` aggregations over every match.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from consortium.search.document import MAX_CLASS_CHILDREN, child_counts
from consortium.search.plan import MEMBER_BOOST, facet_counts, hit_from_document, plan_query
from consortium.search.query import SearchResult
from consortium.search.spelling import MAX_EDITS, MIN_WORD_LENGTH, PREFIX_LENGTH, within_reach

if TYPE_CHECKING:
    from collections.abc import Sequence

    from consortium.search.plan import Clause, QueryPlan
    from consortium.search.query import SearchQuery

__all__ = [
    "class_counts_body",
    "class_counts_result",
    "compile_plan",
    "search_body",
    "search_result",
    "similar_terms_body",
    "similar_terms_result",
]

_KEYWORD_FIELD: Final = {"subjects": "subjects.keyword"}
"""Index-document fields whose exact (keyword) values live in a subfield: filters and facets use it."""
_SOURCE: Final = [
    "cluster_id",
    "title",
    "authors",
    "year",
    "format",
    "language",
    "members",
    "first_seen_us",
    "class_codes",
    "work_id",
]
_SORTS: Final[dict[str, list[dict[str, Any]]]] = {
    "relevance": [{"_score": {"order": "desc"}}],
    "year_desc": [{"year": {"order": "desc", "missing": "_last"}}],
    "year_asc": [{"year": {"order": "asc", "missing": "_last"}}],
    "title": [{"title_sort": {"order": "asc"}}],
    "newest": [{"first_seen_us": {"order": "desc"}}],
}
_FACET_BUCKETS: Final = 1000
"""Buckets asked of each terms aggregation; the top ones are then ranked and cut as every adapter does."""


def search_body(query: SearchQuery, plan: QueryPlan) -> dict[str, Any]:
    """The body of the ``_search`` request for ``query`` (planned as ``plan``): the compiled query, the sort
    (ties broken by ``cluster_id``), the page, exact total hits, the fields a hit shows and one ``terms``
    aggregation per facet.

    Example
    -------
    >>> query = SearchQuery(text="三体")
    >>> search_body(query, plan_query(query))["sort"]
    [{'_score': {'order': 'desc'}}, {'cluster_id': {'order': 'asc'}}]
    """
    body: dict[str, Any] = {
        "query": compile_plan(plan),
        "sort": [*_SORTS[query.sort], {"cluster_id": {"order": "asc"}}],
        "from": query.offset,
        "size": query.page_size,
        "track_total_hits": True,
        "_source": _SOURCE,
    }
    if plan.facets:
        body["aggs"] = {
            name: {"terms": {"field": _KEYWORD_FIELD.get(field, field), "size": _FACET_BUCKETS}}
            for name, field in plan.facets
        }
    return body


def search_result(query: SearchQuery, plan: QueryPlan, response: dict[str, Any]) -> SearchResult:
    """OpenSearch's answer to :func:`search_body` as the port's result: hits (scored when sorted by relevance),
    total, and the facet counts ranked and cut as every adapter does."""
    relevance = query.sort == "relevance"
    hits = [
        hit_from_document(hit["_source"], float(hit["_score"]) if relevance else None)
        for hit in response["hits"]["hits"]
    ]
    facets = {}
    for name, _ in plan.facets:
        buckets = response.get("aggregations", {}).get(name, {}).get("buckets", [])
        facets[name] = facet_counts({str(b["key"]): int(b["doc_count"]) for b in buckets})
    return SearchResult(
        total=int(response["hits"]["total"]["value"]),
        hits=hits,
        facets=facets,
        page=query.page,
        page_size=query.page_size,
    )


def compile_plan(plan: QueryPlan) -> dict[str, Any]:
    """The plan as a ``bool`` query: clauses in ``must``, filters and ranges in ``filter``, the boosted library
    in ``should``."""
    must = [_clause(clause) for clause in plan.clauses] or [{"match_all": {}}]
    filters: list[dict[str, Any]] = [
        {"terms": {_KEYWORD_FIELD.get(k.field, k.field): list(k.values)}} for k in plan.filters
    ]
    for bounds in plan.ranges:
        limits = {"gte": bounds.lower, "lte": bounds.upper}
        filters.append({"range": {bounds.field: {k: v for k, v in limits.items() if v is not None}}})
    should = []
    if plan.boost_member is not None:
        own = {"term": {"members": plan.boost_member}}
        should.append({"constant_score": {"filter": own, "boost": MEMBER_BOOST}})
    return {"bool": {"must": must, "filter": filters, "should": should, "minimum_should_match": 0}}


def _clause(clause: Clause) -> dict[str, Any]:
    """A clause as a term query, or a ``bool`` of ``should`` term queries when it has alternatives."""
    terms = [{"term": {t.field: {"value": t.value, "boost": t.boost}}} for t in clause.alternatives]
    if len(terms) == 1:
        return terms[0]
    return {"bool": {"should": terms, "minimum_should_match": 1}}


_SUGGESTIONS: Final = 25
"""Options the term suggester returns a field (the best by its own score; ours then filters and ranks them)."""


def _literal(text: str) -> str:
    """``text`` as a Lucene regular expression matching itself (every character that is not a letter or digit
    escaped: ``<``, ``>``, ``@``, ``&``, ``~`` and ``#`` are operators there)."""
    return "".join(char if char.isalnum() else f"\\{char}" for char in text)


def class_counts_body(parent: str, query: SearchQuery | None) -> dict[str, Any]:
    """The ``_search`` body counting the ``class_tree`` edges out of ``parent`` among the works ``query`` matches
    (every work: ``None``)."""
    return {
        "size": 0,
        "track_total_hits": False,
        "query": compile_plan(plan_query(query)) if query is not None else {"match_all": {}},
        "aggs": {
            "classes": {
                "terms": {"field": "class_tree", "include": f"{_literal(parent + '>')}.*", "size": MAX_CLASS_CHILDREN}
            }
        },
    }


def class_counts_result(parent: str, response: dict[str, Any]) -> dict[str, int]:
    buckets = response.get("aggregations", {}).get("classes", {}).get("buckets", [])
    return child_counts(parent, {str(b["key"]): int(b["doc_count"]) for b in buckets})


def similar_terms_body(word: str, fields: Sequence[str]) -> dict[str, Any]:
    """The ``_search`` body asking a term suggester of each field for the terms near ``word``."""
    options = {
        "suggest_mode": "always",
        "max_edits": MAX_EDITS,
        "prefix_length": PREFIX_LENGTH,
        "min_word_length": MIN_WORD_LENGTH,
        "size": _SUGGESTIONS,
    }
    return {
        "size": 0,
        "track_total_hits": False,
        "suggest": {field: {"text": word, "term": {"field": field, **options}} for field in fields},
    }


def similar_terms_result(word: str, response: dict[str, Any]) -> dict[str, int]:
    found: dict[str, int] = {}
    for entries in response.get("suggest", {}).values():
        for entry in entries:
            for option in entry.get("options", []):
                term, count = str(option["text"]), int(option.get("freq", 0))
                if within_reach(word, term):
                    found[term] = max(found.get(term, 0), count)
    return found
