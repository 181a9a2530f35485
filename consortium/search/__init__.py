"""Search: the query model, the index document every adapter indexes, and the :class:`SearchIndex` port.

Adapters: :class:`~consortium.adapters.memory.InMemorySearchIndex` (the reference, and the unit-test fake) and
:class:`~consortium.adapters.local.TantivySearchIndex` (embedded, on disk or in RAM).
"""

from consortium.search.document import index_document
from consortium.search.ports import SearchIndex
from consortium.search.query import (
    FacetCount,
    InvalidQueryError,
    SearchHit,
    SearchQuery,
    SearchResult,
    parse_query_string,
)

__all__ = [
    "FacetCount",
    "InvalidQueryError",
    "SearchHit",
    "SearchIndex",
    "SearchQuery",
    "SearchResult",
    "index_document",
    "parse_query_string",
]
