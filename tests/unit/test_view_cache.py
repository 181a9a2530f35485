"""The dedup service keeps the match views of records it clustered, and uses one again only while the record
store holds the record it was made from."""

from __future__ import annotations

from factories import make_checkpoint, make_record

from consortium.adapters.memory import InMemoryRecordStore
from consortium.adapters.memory.clusters import InMemoryClusterStore
from consortium.dedup.service import DedupService
from consortium.dedup.views import ViewCache
from consortium.harvest.state import PageCommit, RecordChange
from consortium.models import Identifier, IdentifierScheme, Record


class CountingRecords(InMemoryRecordStore):
    def __init__(self) -> None:
        super().__init__()
        self.reads = 0

    def get(self, member: str, local_id: str) -> Record | None:
        self.reads += 1
        return super().get(member, local_id)


def put(store: InMemoryRecordStore, *records: Record) -> None:
    changes = [RecordChange(member=r.member, local_id=r.local_id, record=r) for r in records]
    store.commit(PageCommit(changes=changes, checkpoint=make_checkpoint()))


def book(member: str, local_id: str, title: str, isbn: str = "9780262033848") -> Record:
    identifiers = [Identifier(scheme=IdentifierScheme.ISBN, value=isbn)]
    return make_record(member, local_id, title, authors=["Cormen, Thomas H."], year=2009, identifiers=identifiers)


def test_a_candidate_clustered_on_an_earlier_page_is_not_read_again() -> None:
    records, clusters = CountingRecords(), InMemoryClusterStore()
    service = DedupService(records, clusters)
    first = book("riverside", "r1", "Introduction to algorithms")
    put(records, first)
    service.apply_records([(first.key, first)])
    second = book("lakeside", "l1", "Introduction to algorithms")
    put(records, second)
    update = service.apply_records([(second.key, second)])
    assert records.reads == 1  # r1 is merged with l1 (its record read for the merge), not read to compare
    assert [c.records for c in update.saved] == [[("lakeside", "l1"), ("riverside", "r1")]]


def test_a_record_changed_by_another_writer_is_compared_as_it_now_is() -> None:
    records, clusters = InMemoryRecordStore(), InMemoryClusterStore()
    service, other_process = DedupService(records, clusters), DedupService(records, clusters)
    first = book("riverside", "r1", "Introduction to algorithms")
    put(records, first)
    service.apply_records([(first.key, first)])
    # Another process re-harvests r1 as another work (a new digest) and clusters it.
    changed = book("riverside", "r1", "Concrete mathematics", isbn="9780201558029")
    put(records, changed)
    other_process.apply_records([(changed.key, changed)])
    # This service's kept view of r1 is stale: l1 shares r1's old ISBN but not its work any more.
    late = book("lakeside", "l1", "Introduction to algorithms")
    put(records, late)
    late_only = book("eastlake", "e1", "Concrete mathematics", isbn="9780201558029")
    put(records, late_only)
    service.apply_records([(late.key, late), (late_only.key, late_only)])
    works = sorted(c.records for c in clusters.clusters())
    assert works == [[("eastlake", "e1"), ("riverside", "r1")], [("lakeside", "l1")]]


def test_the_cache_keeps_the_latest_and_forgets_the_least_recently_used() -> None:
    views = ViewCache(size=2)
    view = object()
    views.put(("m", "1"), "d1", view)  # type: ignore[arg-type]
    views.put(("m", "2"), "d2", view)  # type: ignore[arg-type]
    assert views.get(("m", "1"), "d1") is view and views.get(("m", "1"), "other") is None
    views.put(("m", "3"), "d3", view)  # type: ignore[arg-type]
    assert views.get(("m", "2"), "d2") is None and len(views) == 2
    views.drop(("m", "1"))
    assert views.get(("m", "1"), "d1") is None and len(views) == 1
