"""The tantivy index's facet cache and facet keys: counts belong to one searcher generation and never outlive it."""

from __future__ import annotations

import json

from consortium.adapters.local.tantivy_facets import FacetCache, facet_key
from consortium.search.query import FacetCount

PKU = {"member": [FacetCount(value="pku", count=3)]}
THU = {"member": [FacetCount(value="thu", count=1)]}


def test_counts_are_served_for_their_generation_only() -> None:
    cache = FacetCache(8)
    cache.put(1, "landing", PKU)
    assert cache.get(1, "landing") == PKU
    assert cache.get(1, "other") is None
    assert cache.get(2, "landing") is None  # a write came in between
    assert len(cache) == 0
    cache.put(1, "landing", PKU)  # counted by a search that began before the write: dropped
    assert cache.get(2, "landing") is None
    cache.put(2, "landing", THU)
    assert cache.get(2, "landing") == THU


def test_least_recently_used_goes_first() -> None:
    cache = FacetCache(2)
    cache.put(1, "a", PKU)
    cache.put(1, "b", THU)
    assert cache.get(1, "a") == PKU
    cache.put(1, "c", THU)
    assert (cache.get(1, "a"), cache.get(1, "b"), cache.get(1, "c")) == (PKU, None, THU)


def test_a_caller_changing_its_result_does_not_change_the_cache() -> None:
    cache = FacetCache(2)
    cache.put(1, "a", {"member": list(PKU["member"])})
    served = cache.get(1, "a")
    assert served is not None
    served["member"].append(FacetCount(value="thu", count=1))
    served["format"] = []
    assert cache.get(1, "a") == PKU


def test_size_zero_keeps_nothing() -> None:
    cache = FacetCache(0)
    cache.put(1, "a", PKU)
    assert cache.get(1, "a") is None


def test_a_key_names_each_value_once_in_order_whatever_it_holds() -> None:
    assert facet_key(["pku", "lakeside", "pku"]) == '["lakeside","pku"]'
    assert facet_key([]) == "[]"
    odd = ['a","b', "x\x1fy", "深度"]
    assert json.loads(facet_key(odd)) == sorted(odd)
