"""bench/recommend_reach.py and bench/recommend_rules.py: the key-to-work pairs under the ten-reader rule, what a
signal reaches, and each rule undone only inside its block (no shared data needed)."""

from __future__ import annotations

import importlib
import math
import sys
from pathlib import Path
from types import ModuleType

import pytest

from consortium.push import diversity, index, ranking, scoring

BENCH = Path(__file__).resolve().parents[2] / "bench"


def _load(name: str) -> ModuleType:
    """A module of bench/, imported as ``python bench/recommend_reach.py`` imports its siblings."""
    if str(BENCH) not in sys.path:
        sys.path.append(str(BENCH))
    return importlib.import_module(name)


reach = _load("recommend_reach")
rules = _load("recommend_rules")
KEYS = {"w1": ["subject:a"], "w2": ["subject:b"], "w3": ["subject:a", "author:x"]}


def test_a_key_work_pair_counts_distinct_readers_and_only_from_the_minimum_on() -> None:
    loans = {f"r{n}": ["w1", "w2", "w1"] for n in range(3)}  # three readers of w1 (key a) and w2
    loans["r9"] = ["w2"]
    loans["r8"] = ["w3"]
    pairs = reach.key_work_pairs(loans, KEYS.__getitem__, min_readers=3)
    # a: readers r0-r2 (w1) and r8 (w3) = 4; w2: r0-r2 and r9 = 4; together 3 distinct readers
    assert pairs["subject:a"]["w2"] == pytest.approx(3 / math.sqrt(4 * 4))
    assert pairs["subject:a"]["w1"] == pytest.approx(3 / math.sqrt(4 * 3))
    assert "w3" not in pairs["subject:a"]  # one reader: under the minimum
    assert "author:x" not in pairs
    assert reach.key_work_pairs(loans, KEYS.__getitem__, min_readers=5) == {}


def test_a_signal_reaches_what_the_keys_lead_to_but_not_the_readers_own_works() -> None:
    table = {"subject:a": {"w1": 0.5, "w2": 0.25}, "subject:b": {"w2": 0.5}}
    assert reach.reach(["subject:a", "subject:b"], table, {"w1"}) == {"w2": 0.75}
    assert reach.reach(["subject:c"], table, set()) == {}


def test_a_rule_is_undone_only_inside_its_block() -> None:
    before = (ranking.MAX_LOOKUP, scoring.POPULARITY_WEIGHT, index._series_of, ranking.diversify)
    with rules.without("B"):
        assert ranking.MAX_LOOKUP == rules.OLD_MAX_LOOKUP
    with rules.without("D"):
        assert scoring.POPULARITY_WEIGHT == rules.OLD_POPULARITY_WEIGHT
    with pytest.raises(RuntimeError), rules.without("C"):
        assert ranking.diversify is not diversity.diversify
        raise RuntimeError
    assert (ranking.MAX_LOOKUP, scoring.POPULARITY_WEIGHT, index._series_of, ranking.diversify) == before
    with pytest.raises(ValueError, match="no rule 'Z'"), rules.without("Z"):
        pass


def test_key_work_pairs_are_built_in_only_inside_their_block() -> None:
    before = (index.NewWorks.first_met, ranking.evidence_scores)
    with pytest.raises(RuntimeError), reach.key_work_ranking({"subject:a": {"w2": 0.5}}, 0.5, "max"):
        assert ranking.evidence_scores is not scoring.evidence_scores
        assert index.NewWorks.first_met is not before[0]
        raise RuntimeError
    assert (index.NewWorks.first_met, ranking.evidence_scores) == before


def test_the_works_a_readers_key_leads_to_are_scored_too() -> None:
    from datetime import UTC, datetime

    from consortium.profiles.interest_keys import keys_for_cluster

    data = _load("recommend_data")
    at = datetime(2023, 1, 1, tzinfo=UTC)
    clusters = [
        data.Item(i, f"Title {i}", (), None, (subject,), (), ("library",), at).cluster()
        for i, subject in (("w1", "Horses"), ("w2", "Gardens"))
    ]
    works = index.NewWorks.build(clusters)
    key = keys_for_cluster(clusters[0])[0]
    filters = {"floor": float("-inf"), "exclude": frozenset(), "reject": None}
    assert [works.works[n].cluster_id for n in works.first_met({key: 1.0}, 5, **filters)] == ["w1"]
    with reach.key_work_ranking({key: {"w2": 0.5}}, 0.5, "max"):
        found = works.first_met({key: 1.0}, 5, **filters)
        assert [works.works[n].cluster_id for n in found] == ["w1", "w2"]
        assert works.first_met({key: 1.0}, 5, **{**filters, "exclude": frozenset({"w2"})}) == found[:1]
