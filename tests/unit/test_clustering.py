"""Incremental clustering: records join, leave and split clusters; only touched clusters change."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from factories import make_checkpoint, make_record

from consortium.adapters.memory import InMemoryRecordStore
from consortium.adapters.memory.clock import ManualClock
from consortium.adapters.memory.clusters import InMemoryClusterStore
from consortium.dedup.service import DedupService
from consortium.harvest.state import PageCommit, RecordChange
from consortium.models import Holding, Identifier, IdentifierScheme, Record

T_START = datetime(2026, 1, 1, tzinfo=UTC)


def isbn(value: str) -> list[Identifier]:
    return [Identifier(scheme=IdentifierScheme.ISBN, value=value)]


def put(store: InMemoryRecordStore, *records: Record) -> None:
    changes = [RecordChange(member=r.member, local_id=r.local_id, record=r) for r in records]
    store.commit(PageCommit(changes=changes, checkpoint=make_checkpoint()))


def remove(store: InMemoryRecordStore, member: str, local_id: str) -> None:
    store.commit(PageCommit(changes=[RecordChange(member=member, local_id=local_id)], checkpoint=make_checkpoint()))


def setup() -> tuple[InMemoryRecordStore, InMemoryClusterStore, DedupService]:
    records, clusters = InMemoryRecordStore(), InMemoryClusterStore()
    return (
        records,
        clusters,
        DedupService(records, clusters, clock=ManualClock(T_START, tick=timedelta(minutes=1))),
    )


def algorithms(member: str, local_id: str, **kw: object) -> Record:
    kw.setdefault("identifiers", isbn("9780262033848"))
    kw.setdefault("holdings", [Holding(member=member, call_number=f"QA76.6 .C662 ({member})")])
    kw.setdefault("year", 2009)
    return make_record(member, local_id, "Introduction to algorithms", authors=["Cormen, Thomas H."], **kw)


def test_records_of_one_work_merge_with_every_holding() -> None:
    records, clusters, service = setup()
    put(
        records,
        algorithms("riverside", "r1"),
        algorithms("lakeside", "l1", identifiers=[]),
        algorithms("eastlake", "e1"),
    )
    update = service.apply([("riverside", "r1"), ("lakeside", "l1"), ("eastlake", "e1")])
    assert clusters.count() == 1 and len(update.saved) == 1
    [cluster] = clusters.clusters()
    assert cluster.members == ["eastlake", "lakeside", "riverside"]
    assert [h.member for h in cluster.holdings] == ["eastlake", "lakeside", "riverside"]
    assert cluster.identifiers == isbn("9780262033848")


def test_a_record_merged_later_does_not_make_the_cluster_new() -> None:
    records, clusters, service = setup()
    put(records, algorithms("riverside", "r1"))
    service.apply([("riverside", "r1")])
    [before] = clusters.clusters()
    put(records, algorithms("lakeside", "l1"))
    service.apply([("lakeside", "l1")])
    [after] = clusters.clusters()
    assert after.cluster_id == before.cluster_id and after.first_seen == before.first_seen
    assert len(after.records) == 2


def test_a_changed_record_leaves_its_cluster() -> None:
    records, clusters, service = setup()
    put(records, algorithms("riverside", "r1"), algorithms("lakeside", "l1"))
    service.apply([("riverside", "r1"), ("lakeside", "l1")])
    put(records, make_record("lakeside", "l1", "Concrete mathematics", authors=["Graham, Ronald L."], year=1994))
    update = service.apply([("lakeside", "l1")])
    assert clusters.count() == 2
    assert len(update.saved) == 2 and not update.deleted
    titles = sorted(c.title for c in clusters.clusters())
    assert titles == ["Concrete mathematics", "Introduction to algorithms"]


def test_deleting_a_bridge_splits_the_cluster() -> None:
    records, clusters, service = setup()
    # a and c only match through b (b shares a's ISBN and c's OCLC number).
    oclc = Identifier(scheme=IdentifierScheme.OCLC, value="311310321")
    a = algorithms("riverside", "a", year=2009)
    b = algorithms("lakeside", "b", identifiers=[*isbn("9780262033848"), oclc])
    c = make_record("eastlake", "c", "Intro. to algorithms (3rd ed.)", identifiers=[oclc], year=2010)
    put(records, a, b, c)
    service.apply([a.key, b.key, c.key])
    assert clusters.count() == 1
    first = next(clusters.clusters())
    remove(records, "lakeside", "b")
    update = service.apply([("lakeside", "b")])
    assert clusters.count() == 2
    assert clusters.placement(("lakeside", "b")) is None
    assert clusters.placement(("riverside", "a")).cluster_id == first.cluster_id  # type: ignore[union-attr]
    assert first.cluster_id in update.saved_ids and len(update.saved) == 2


def test_deleting_the_only_record_deletes_the_cluster() -> None:
    records, clusters, service = setup()
    put(records, algorithms("riverside", "r1"))
    [cluster_id] = service.apply([("riverside", "r1")]).saved_ids
    remove(records, "riverside", "r1")
    update = service.apply([("riverside", "r1")])
    assert update.deleted == [cluster_id] and clusters.count() == 0


def test_explain_names_keys_and_scores() -> None:
    records, _, service = setup()
    put(records, algorithms("riverside", "r1"), algorithms("lakeside", "l1", identifiers=[]))
    service.apply([("riverside", "r1"), ("lakeside", "l1")])
    _, _, shared, decision = service.explain(("riverside", "r1"), ("lakeside", "l1"))
    assert shared == ["a:cormen|algorithms introduction", "t:introduction to algorithms"]
    assert decision.match and decision.scores["title"] > 5  # bits of the prior beliefs' exact-title level
    assert any(line.startswith("title: exact: +") for line in decision.evidence)


def test_bulk_clustering_agrees_with_the_incremental_path() -> None:
    from consortium.dedup.bulk import cluster_bulk

    records, clusters, service = setup()
    batch = [
        algorithms("riverside", "r1"),
        algorithms("lakeside", "l1", identifiers=[]),
        algorithms("eastlake", "e1"),
        make_record("riverside", "r2", "Concrete mathematics", authors=["Graham, Ronald L."], year=1994),
        make_record("lakeside", "l2", "Concrete mathematics /", authors=["Ronald L. Graham"], year=1994),
        make_record("eastlake", "e2", "算法导论", authors=["Cormen, Thomas H."], year=2013),
    ]
    put(records, *batch)
    service.apply(r.key for r in batch)
    incremental = sorted(sorted(c.records) for c in clusters.clusters())
    change = cluster_bulk(batch, datetime(2026, 1, 1, tzinfo=UTC))
    bulk = sorted(sorted(c.records) for c in change.saved)
    assert bulk == incremental
    assert len(bulk) == 3


def test_record_keys_are_the_view_keys() -> None:
    from consortium.dedup.features import match_view
    from consortium.dedup.keys import blocking_keys, record_keys

    oclc = Identifier(scheme=IdentifierScheme.OCLC, value="311310321")
    for record in (
        algorithms("riverside", "r1", identifiers=[*isbn("9780262033848"), oclc]),
        make_record("eastlake", "e2", "《算法导论》", authors=["Cormen, Thomas H."], year=2013),
        make_record("x", "y", "The art of computer programming. Vol. 2"),
    ):
        assert record_keys(record) == blocking_keys(match_view(record))


def test_a_single_record_cluster_is_what_the_general_rule_gives() -> None:
    from consortium.dedup.merge import _general, merge_cluster

    record = algorithms("riverside", "r1", subjects=["Algorithms", "Algorithms"], subtitle="")
    now = datetime(2026, 1, 1, tzinfo=UTC)
    fast = merge_cluster("c", [record], {}, now)
    assert fast.model_dump() == _general("c", [record], {}, now).model_dump()
    assert fast.subjects == ["Algorithms"]


def test_the_series_comes_from_the_best_record_and_its_number_from_that_same_series() -> None:
    from consortium.dedup.merge import merge_cluster

    series = "MIT electrical engineering and computer science series"
    best = algorithms("riverside", "r1", publisher="MIT Press", series=series)
    other_series = algorithms("eastlake", "e1", series="Foundations of computing", series_number="v. 9")
    same_series = algorithms(
        "lakeside",
        "l1",
        identifiers=[],
        series="MIT Electrical Engineering and Computer Science Series",
        series_number="v. 2",
    )
    now = datetime(2026, 1, 1, tzinfo=UTC)

    cluster = merge_cluster("c", [other_series, same_series, best], {}, now)
    assert (cluster.series, cluster.series_number) == (series, "v. 2")

    single = merge_cluster("c", [other_series], {}, now)
    assert (single.series, single.series_number) == ("Foundations of computing", "v. 9")
    assert merge_cluster("c", [algorithms("x", "1")], {}, now).series is None


def test_a_record_joining_later_keeps_the_cluster_out_of_later_new_since_windows() -> None:
    records, clusters, service = setup()
    put(records, algorithms("riverside", "r1"))
    service.apply([("riverside", "r1")])
    [old] = clusters.clusters()
    window = service.clock()  # the push job's window opens after the cluster was first seen
    put(records, algorithms("lakeside", "l1"), make_record("eastlake", "e1", "Concrete mathematics", year=1994))
    service.apply([("lakeside", "l1"), ("eastlake", "e1")])
    [joined] = [c for c in clusters.clusters() if c.cluster_id == old.cluster_id]
    assert joined.records == [("lakeside", "l1"), ("riverside", "r1")] and joined.first_seen == old.first_seen
    assert [c.title for c in clusters.new_since(window)] == ["Concrete mathematics"]
    assert [c.cluster_id for c in clusters.new_since(old.first_seen, window)] == [old.cluster_id]


def test_a_record_moving_in_brings_its_older_first_seen() -> None:
    records, clusters, service = setup()
    put(records, make_record("lakeside", "l1", "Concrete mathematics", authors=["Graham, Ronald L."], year=1994))
    service.apply([("lakeside", "l1")])
    older = clusters.placement(("lakeside", "l1"))
    window = service.clock()
    put(records, algorithms("riverside", "r1"))
    [newer_id] = service.apply([("riverside", "r1")]).saved_ids
    assert [c.cluster_id for c in clusters.new_since(window)] == [newer_id]
    # l1 is corrected to the same work: its cluster empties and the work it joins is as old as l1.
    put(records, algorithms("lakeside", "l1"))
    update = service.apply([("lakeside", "l1")])
    assert older is not None and len(update.deleted) == 1 and clusters.count() == 1
    [work] = clusters.clusters()
    assert work.first_seen == older.first_seen
    assert list(clusters.new_since(window)) == []


def test_a_split_keeps_each_parts_earliest_first_seen() -> None:
    records, clusters, service = setup()
    oclc = Identifier(scheme=IdentifierScheme.OCLC, value="311310321")
    a = algorithms("riverside", "a", year=2009)
    b = algorithms("lakeside", "b", identifiers=[*isbn("9780262033848"), oclc])
    c = make_record("eastlake", "c", "Intro. to algorithms (3rd ed.)", identifiers=[oclc], year=2010)
    put(records, a, b, c)
    service.apply([a.key, b.key, c.key])
    seen = {k: p.first_seen for k in (a.key, b.key, c.key) if (p := clusters.placement(k)) is not None}
    assert seen[a.key] < seen[b.key] < seen[c.key]
    window = service.clock()
    remove(records, "lakeside", "b")
    service.apply([b.key])
    parts = {c.records[0]: c for c in clusters.clusters()}
    assert parts[a.key].first_seen == seen[a.key] and parts[c.key].first_seen == seen[c.key]
    assert list(clusters.new_since(window)) == []  # the part split off under a new id is not new
