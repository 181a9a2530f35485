"""Facet counts for the tantivy index: a single-valued key per document for the multi-valued facets, and a cache
of counts per searcher generation.

Keys
    tantivy's terms aggregation costs about 1 ns a match over a fast field with exactly one value in every
    document, and 10-30 ns over one that some documents lack or hold several values of (a work held by two
    members, classed in LCC and Dewey); at 1M matches that is 1 ms against 20-33 ms a facet. So each document
    also carries, for each field of :data:`KEYED`, one key naming all its values: the JSON array of its
    distinct values, sorted (``["lakeside","pku"]``; ``[]`` when it has none). The aggregation counts matches
    per key, and a value's count is the sum over the keys that hold it: exactly the matches holding that value,
    provided every key came back, which the response tells (``sum_other_doc_count`` is 0). When a facet has
    more distinct keys among the matches than :data:`KEY_BUCKETS`, it is counted over the plain field instead.
    Keys pay off over many matches only: a keyed facet returns more buckets (up to one per combination of
    values), so below :data:`KEYED_FROM` matches the plain fields are used (4 facets at 1M documents, keys
    against plain fields: 0.05-0.25 ms more a query under 3,000 matches; 0.5 ms less at 10,000, 2 ms at 30,000,
    7 ms at 100,000).
    Year and subject facets are always counted over their plain fields (a subject key would be nearly as
    rare as a document).

Cache
    :class:`FacetCache` keeps the facets of recent queries for one searcher generation (see
    :meth:`~consortium.adapters.local.TantivySearchIndex.search`): the portal's landing page, the empty query
    with facets, counts every document, and paging through a result list asks for the same counts again.
"""

from __future__ import annotations

import functools
import json
import threading
from collections import Counter, OrderedDict
from typing import TYPE_CHECKING, Any, Final

from consortium.search.plan import facet_counts

if TYPE_CHECKING:
    from collections.abc import Hashable, Iterable, Mapping

    import tantivy

    from consortium.search.query import FacetCount

__all__ = ["KEYED", "KEYED_FROM", "KEY_BUCKETS", "PLAIN_BUCKETS", "FacetCache", "count_facets", "facet_key"]

KEYED: Final[dict[str, str]] = {
    "members": "members_key",
    "format": "format_key",
    "language": "language_key",
    "class_top": "class_top_key",
}
"""Document field to the field of its single-valued key."""
KEYED_FROM: Final = 5_000
"""Matches from which the keyed facets are counted over their keys."""
KEY_BUCKETS: Final = 10_000
"""Keys asked of each keyed terms aggregation; more distinct keys among the matches count the plain field."""
PLAIN_BUCKETS: Final = 1000
"""Buckets asked of a terms aggregation over a plain field; the top ones are then ranked and cut as every adapter
does."""

Facets = dict[str, list["FacetCount"]]


_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
"""One encoder for every key (``json.dumps`` with options makes a new one each call)."""


def facet_key(values: Iterable[str]) -> str:
    """The key of a document holding ``values`` (empty ones left out) in a field of :data:`KEYED`."""
    return _key(tuple(filter(None, values)))


@functools.lru_cache(maxsize=65_536)
def _key(values: tuple[str, ...]) -> str:
    # Made once per combination of values: a corpus has few (at 1M works 31 of members, 439 of classes).
    return _encode(sorted(set(values)))


def count_facets(
    searcher: tantivy.Searcher, query: tantivy.Query, facets: Iterable[tuple[str, str]], matches: int
) -> Facets:
    """The counts of ``facets`` (``(facet name, document field)``) over the ``matches`` documents ``query``
    matches: one aggregation request, and a second over the plain fields of the keyed facets that had too many
    keys."""
    wanted = dict(facets)
    keyed = KEYED if matches >= KEYED_FROM else {}
    request = {
        name: {"terms": {"field": keyed.get(field, field), "size": KEY_BUCKETS if field in keyed else PLAIN_BUCKETS}}
        for name, field in wanted.items()
    }
    response = searcher.aggregate(query, request)
    counted: Facets = {}
    incomplete: dict[str, str] = {}
    for name, field in wanted.items():
        result = response.get(name, {})
        if field not in keyed:
            counted[name] = facet_counts(_bucket_counts(result))
        elif result.get("sum_other_doc_count", 0):
            incomplete[name] = field
        else:
            counts: Counter[str] = Counter()
            for bucket in result.get("buckets", []):
                for value in _key_values(bucket["key"]):
                    counts[value] += int(bucket["doc_count"])
            counted[name] = facet_counts(counts)
    if incomplete:
        request = {name: {"terms": {"field": field, "size": PLAIN_BUCKETS}} for name, field in incomplete.items()}
        response = searcher.aggregate(query, request)
        counted.update({name: facet_counts(_bucket_counts(response.get(name, {}))) for name in incomplete})
    return {name: counted[name] for name in wanted}


@functools.lru_cache(maxsize=65_536)
def _key_values(key: str) -> tuple[str, ...]:
    """The values a key names (decoded once: the same keys come back query after query)."""
    return tuple(json.loads(key))


def _bucket_counts(result: Mapping[str, Any]) -> dict[str, int]:
    return {_bucket_key(b["key"]): int(b["doc_count"]) for b in result.get("buckets", [])}


def _bucket_key(key: object) -> str:
    """A bucket's key as a facet value: years come back as numbers (``2016`` or ``2016.0``)."""
    if isinstance(key, float) and key.is_integer():
        return str(int(key))
    return str(key)


class FacetCache:
    """The facets of the last ``size`` queries asked of one searcher generation, least recently used first out.

    Entries belong to the generation they were computed in: a lookup or a store with a newer generation
    empties the cache, and a store with an older one (a search that began before a write) is dropped, so a
    count from before a write is never served after it.
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self._generation = -1
        self._entries: OrderedDict[Hashable, dict[str, tuple[FacetCount, ...]]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, generation: int, key: Hashable) -> Facets | None:
        with self._lock:
            self._advance(generation)
            if generation != self._generation or (entry := self._entries.get(key)) is None:
                return None
            self._entries.move_to_end(key)
        return {name: list(values) for name, values in entry.items()}

    def put(self, generation: int, key: Hashable, facets: Mapping[str, list[FacetCount]]) -> None:
        if self.size <= 0:
            return
        with self._lock:
            self._advance(generation)
            if generation != self._generation:
                return
            self._entries[key] = {name: tuple(values) for name, values in facets.items()}
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)

    def _advance(self, generation: int) -> None:
        if generation > self._generation:
            self._generation = generation
            self._entries.clear()
