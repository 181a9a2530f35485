"""Clustering a page that changes and deletes records of one work together."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from factories import make_checkpoint, make_record

from consortium.adapters.memory import InMemoryRecordStore
from consortium.adapters.memory.clock import ManualClock
from consortium.adapters.memory.clusters import InMemoryClusterStore
from consortium.dedup.service import DedupService
from consortium.harvest.state import PageCommit, RecordChange
from consortium.models import Identifier, IdentifierScheme, Record


def commit(store: InMemoryRecordStore, changes: list[RecordChange]) -> None:
    store.commit(PageCommit(changes=changes, checkpoint=make_checkpoint()))


def book(member: str, local_id: str, title: str, isbn: str) -> Record:
    identifiers = [Identifier(scheme=IdentifierScheme.ISBN, value=isbn)]
    return make_record(member, local_id, title, authors=["Cormen, Thomas H."], year=2009, identifiers=identifiers)


def test_a_page_that_moves_one_record_out_and_deletes_the_other_leaves_no_work_behind() -> None:
    records, clusters = InMemoryRecordStore(), InMemoryClusterStore()
    service = DedupService(records, clusters, clock=ManualClock(datetime(2026, 1, 1, tzinfo=UTC), tick=timedelta(1)))
    a = book("riverside", "a", "Introduction to algorithms", "9780262033848")
    b = book("lakeside", "b", "Introduction to algorithms", "9780262033848")
    commit(records, [RecordChange(member=r.member, local_id=r.local_id, record=r) for r in (a, b)])
    service.apply([a.key, b.key])
    [work] = clusters.clusters()

    # One page: b becomes another work, a is deleted. b comes first, while a still stands in the work.
    moved = book("lakeside", "b", "Concrete mathematics", "9780201558029")
    commit(
        records,
        [RecordChange(member="lakeside", local_id="b", record=moved), RecordChange(member="riverside", local_id="a")],
    )
    update = service.apply_records([(moved.key, moved), (a.key, None)])

    assert [c.records for c in clusters.clusters()] == [[("lakeside", "b")]]
    assert clusters.placement(a.key) is None
    assert update.deleted == [work.cluster_id] and [c.title for c in update.saved] == ["Concrete mathematics"]


def test_a_page_is_dated_when_it_is_written_each_record_a_microsecond_apart() -> None:
    records, clusters = InMemoryRecordStore(), InMemoryClusterStore()
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    clock = ManualClock(t0)  # stands still: the page is dated from the one reading made when it is written
    service = DedupService(records, clusters, clock=clock)
    page = [book("riverside", f"r{n}", f"Title number {n}", f"97802620338{n}{n}") for n in range(3)]
    commit(records, [RecordChange(member=r.member, local_id=r.local_id, record=r) for r in page])
    update = service.apply_records([(r.key, r) for r in page])
    dates = {c.records[0]: (c.first_seen, c.updated_at) for c in update.saved}
    assert [dates[r.key] for r in page] == [(t0 + timedelta(microseconds=n),) * 2 for n in range(3)]
    assert {c.cluster_id: c for c in clusters.clusters()} == {c.cluster_id: c for c in update.saved}

    # The clock has not moved: the next page is still dated after this one.
    later = book("lakeside", "l1", "Another title", "9780201558029")
    commit(records, [RecordChange(member="lakeside", local_id="l1", record=later)])
    [cluster] = service.apply_records([(later.key, later)]).saved
    assert cluster.first_seen == cluster.updated_at == t0 + timedelta(microseconds=3)
