"""The push planning benchmark on a tiny population: it plans what is due, within caps, without repeats."""

from __future__ import annotations

import importlib
import sys
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest

from consortium.push.index import NewWorks
from consortium.push.models import Digest, DigestItem
from consortium.push.planner import interest_order, plan, plan_batch
from consortium.push.ranking import muted

BENCH = Path(__file__).resolve().parents[2] / "bench" / "push.py"


@pytest.fixture(scope="module")
def bench():
    """bench/push.py, imported as ``python bench/push.py`` imports its siblings (bench/ on the path)."""
    if str(BENCH.parent) not in sys.path:
        sys.path.append(str(BENCH.parent))
    return importlib.import_module("push")


@pytest.fixture(scope="module")
def planned(bench):
    population = bench.build_population(readers=200, works=300, seed=3)
    works = NewWorks.build(population.clusters)
    digests, readers_planned = bench.plan_digests(population, works)
    return population, works, digests, readers_planned


def test_the_population_looks_like_the_brief(bench, planned) -> None:
    population, works, _, _ = planned
    assert len(population.clusters) == 300 and len(works) == 300
    assert len(population.readers) == 200
    assert any(c.series for c in population.clusters)
    assert {len(c.members) for c in population.clusters} <= {1, 2, 3, 4}
    assert all(bench.NOW - c.first_seen <= timedelta(days=7) for c in population.clusters)
    assert all(r.taste.weights for r in population.readers)
    assert any(r.sent for r in population.readers)


def test_every_due_subscription_gets_one_digest(bench, planned) -> None:
    population, _, digests, readers_planned = planned
    assert readers_planned == 200
    due = Counter(
        (r.reader_id, s.service) for r in population.readers for s in r.subscriptions if s.active and s.due(bench.NOW)
    )
    assert due and Counter((d.reader_id, d.service) for d in digests) == due
    assert sum(len(d.items) for d in digests) > 0


def test_items_respect_caps_sent_and_mutes(planned) -> None:
    population, works, digests, _ = planned
    readers = {r.reader_id: r for r in population.readers}
    for digest in digests:
        reader = readers[digest.reader_id]
        cap = next(s.max_items for s in reader.subscriptions if s.service is digest.service)
        assert len(digest.items) <= cap
        for item in digest.items:
            assert item.cluster_id not in reader.sent
            assert not muted(works.works[works.by_id[item.cluster_id]], reader.mutes)


def test_no_reader_gets_a_work_twice(planned) -> None:
    _, _, digests, _ = planned
    per_reader: dict[str, list[str]] = {}
    for digest in digests:
        per_reader.setdefault(digest.reader_id, []).extend(item.cluster_id for item in digest.items)
    for ids in per_reader.values():
        assert len(ids) == len(set(ids))


def test_run_reports_the_figures(bench) -> None:
    result = bench.run(readers=20, works=50, seed=2)
    assert result["digests"] == 40
    assert 0 <= result["empty_digest_share"] <= 1
    assert result["readers_planned"] == 20 and not result["extrapolated"]
    assert isinstance(result["goal_met"], bool)


def test_run_reports_the_planning_cpu_in_processes_too(bench) -> None:
    """The CPU seconds of planning are summed over the forked processes (the figure that other jobs' load does not
    inflate), and the load average is reported with them."""
    result = bench.run(readers=40, works=60, seed=3, workers=2, evidence_readers=0)
    assert result["workers"] == 2 and result["readers_planned"] == 40
    assert result["plan_cpu_s"] > 0 and result["plan_cpu_us_per_reader"] > 0
    assert len(result["load_average"]) == 2


def test_planning_refuses_a_now_without_time_zone(bench, planned) -> None:
    population, works, _, _ = planned
    naive = bench.NOW.replace(tzinfo=None)
    with pytest.raises(ValueError, match="'now' with a time zone"):
        list(plan(population.readers[:1], works, naive, members_total=len(bench.MEMBERS)))


def test_digests_are_what_validation_makes(planned) -> None:
    """Digests and their lines are set, not validated (``constructor``): they are what validation would make."""
    _, _, digests, _ = planned
    assert any(d.items for d in digests)
    for digest in digests[:200]:
        again = Digest.model_validate(digest.model_dump())
        assert again == digest
        assert again.model_dump_json() == digest.model_dump_json()
        assert all(type(item) is DigestItem for item in digest.items)


def _strongest_class(reader) -> str:
    classes = reader.taste.classes
    return max(classes, key=classes.__getitem__) if classes else ""


def test_interest_order_puts_readers_of_one_class_together(planned) -> None:
    population, _, _, _ = planned
    ordered = interest_order(population.readers)
    assert sorted(r.reader_id for r in ordered) == sorted(r.reader_id for r in population.readers)
    assert [r.reader_id for r in ordered] != [r.reader_id for r in population.readers]
    strongest = [_strongest_class(r) for r in ordered]
    assert strongest == sorted(strongest)
    assert len(set(strongest)) < len(strongest)  # some readers share a class, so the order groups something


def test_plan_batch_gives_what_plan_gives_in_the_readers_order(bench, planned) -> None:
    """Planned in interest order, handed back in the readers' order: the same digests, lists and scores as
    planning the readers one after the other in their own order (the push job plans a shard with it)."""
    population, works, _, _ = planned
    readers = population.readers[::-1]
    expected = list(plan(readers, works, bench.NOW, members_total=len(bench.MEMBERS)))
    batch = plan_batch(readers, works, bench.NOW, members_total=len(bench.MEMBERS))
    assert [(d.reader_id, d.service) for d in batch] == [(d.reader_id, d.service) for d in expected]
    assert batch == expected
    assert [[i.score.hex() for i in d.items] for d in batch] == [[i.score.hex() for i in d.items] for d in expected]


def test_plan_batch_refuses_a_reader_twice(bench, planned) -> None:
    population, works, _, _ = planned
    twice = [population.readers[0], population.readers[1], population.readers[0]]
    with pytest.raises(ValueError, match="a reader id appears twice"):
        plan_batch(twice, works, bench.NOW, members_total=len(bench.MEMBERS))
