"""Clusters and the index follow every committed page, even when the process died in between."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from factories import make_cluster
from marc_builders import book

from consortium.adapters.memory import InMemoryBlobStore, InMemoryRecordStore, InMemorySearchIndex
from consortium.adapters.memory.clusters import InMemoryClusterStore
from consortium.bootstrap import bootstrap
from consortium.catalogue import Catalogue
from consortium.config import Settings
from consortium.dedup.service import DedupService
from consortium.dedup.state import ClusterChange
from consortium.dedup.work_groups import work_id
from consortium.harvest.service import HarvestService
from consortium.harvest.state import RecordChange
from consortium.members import Member, Source
from consortium.models import Record
from consortium.search.query import SearchQuery

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from consortium.models import Cluster

MEMBER = Member(id="riverside", name="Riverside")


class Died(Exception):
    """The process stops here."""


def test_a_page_committed_but_never_clustered_is_clustered_on_the_next_run(tmp_path: Path) -> None:
    records, clusters, index = InMemoryRecordStore(), InMemoryClusterStore(), InMemorySearchIndex()
    catalogue = Catalogue(records, clusters, index, DedupService(records, clusters))
    path = tmp_path / "f.mrc"
    path.write_bytes(b"".join(book(f"b{i}", f"Book number {i}").as_marc() for i in range(5)))
    source = Source.model_validate({"id": "f", "protocol": "marc-file", "path": path, "format": "marc21"})
    calls = {"n": 0}

    def follow(changes: list[RecordChange]) -> None:
        calls["n"] += 1
        if calls["n"] == 2:
            raise Died  # after the second page's commit, before its clustering
        catalogue.follow(changes)

    harvester = HarvestService(records, InMemoryBlobStore(), page_size=2, on_commit=follow)
    with pytest.raises(Died):
        harvester.harvest_source(MEMBER, source)
    assert records.count() == 4 and clusters.count() == 2

    report = harvester.harvest_source(MEMBER, source)
    assert report.complete and report.resumed
    assert clusters.count() == 5
    assert index.search(SearchQuery(text="book number 3")).total == 1


class CountingRecords(InMemoryRecordStore):
    """The record store, counting the records read back one by one."""

    def __init__(self) -> None:
        super().__init__()
        self.reads = 0

    def get(self, member: str, local_id: str) -> Record | None:
        self.reads += 1
        return super().get(member, local_id)


class CountingClusters(InMemoryClusterStore):
    """The cluster store, counting its writes."""

    def __init__(self) -> None:
        super().__init__()
        self.writes = 0

    def apply(self, change: ClusterChange) -> None:
        self.writes += 1
        super().apply(change)


def test_a_page_is_clustered_and_indexed_from_the_records_in_hand(tmp_path: Path) -> None:
    records, clusters, index = CountingRecords(), CountingClusters(), InMemorySearchIndex()
    catalogue = Catalogue(records, clusters, index, DedupService(records, clusters))
    path = tmp_path / "f.mrc"
    titles = ["Deep rivers", "Mountain paths", "City lights"]
    path.write_bytes(b"".join(book(f"b{i}", title).as_marc() for i, title in enumerate(titles)))
    source = Source.model_validate({"id": "f", "protocol": "marc-file", "path": path, "format": "marc21"})
    HarvestService(records, InMemoryBlobStore(), page_size=10, on_commit=catalogue.follow).harvest_source(
        MEMBER, source
    )
    assert records.reads == 0  # neither the page's records nor their clusters were read back
    assert clusters.writes == 1  # one atomic write for the page (its three records)
    assert clusters.count() == 3
    assert index.search(SearchQuery(text="deep rivers")).total == 1
    assert index.search(SearchQuery(text="city lights")).total == 1


def test_a_deleted_record_leaves_its_cluster_in_one_write(tmp_path: Path) -> None:
    records, clusters, index = CountingRecords(), CountingClusters(), InMemorySearchIndex()
    catalogue = Catalogue(records, clusters, index, DedupService(records, clusters))
    path = tmp_path / "f.mrc"
    path.write_bytes(book("b1", "Deep rivers").as_marc())
    source = Source.model_validate({"id": "f", "protocol": "marc-file", "path": path, "format": "marc21"})
    HarvestService(records, InMemoryBlobStore(), on_commit=catalogue.follow).harvest_source(MEMBER, source)
    assert index.search(SearchQuery(text="deep rivers")).total == 1
    writes = clusters.writes

    update = catalogue.follow([RecordChange(member=MEMBER.id, local_id="b1")])  # a delete, as a page carries it
    assert clusters.writes == writes + 1 and records.reads == 0
    assert clusters.count() == 0 and len(update.deleted) == 1 and not update.saved
    assert index.search(SearchQuery(text="deep rivers")).total == 0


def test_an_index_in_an_older_layout_is_rebuilt_from_the_stored_works_keeping_their_ids(tmp_path: Path) -> None:
    from consortium.adapters.local.tantivy_index import TantivySearchIndex

    hub = bootstrap(Settings(data_dir=tmp_path / "var", key_dir=tmp_path / "keys"))
    works = [make_cluster("w1", "Poems of the sea", authors=["Neruda, Pablo"]), make_cluster("w2", "Letters")]
    hub.cluster_store.apply(ClusterChange(saved=works))
    index = TantivySearchIndex(tmp_path / "index")
    index.needs_rebuild = True  # as opening an index of an older layout leaves it: empty
    catalogue = Catalogue(hub.record_store, hub.cluster_store, index, hub.dedup)
    assert catalogue.reindex_if_needed() == 2
    [poems] = index.search(SearchQuery(text="poems")).hits
    assert poems.cluster_id == "w1"
    # stored before work groups (no work id): indexed with the one its fields give, so "other editions" work
    assert hub.cluster_store.get("w1").work_id is None  # type: ignore[union-attr]
    assert poems.work_id == work_id("poems of the sea|neruda")
    assert not index.needs_rebuild and catalogue.reindex_if_needed() == 0


class WrittenDuringRebuild(InMemorySearchIndex):
    """An index being rebuilt while another process (a harvest Lambda) changes works: that process's change is
    stored and, through the alias, written to the old index the rebuild then replaces."""

    def __init__(self, meanwhile: Callable[[], None]) -> None:
        super().__init__()
        self.needs_rebuild = True
        self.meanwhile = meanwhile

    def rebuild(self, clusters: Iterable[Cluster]) -> None:
        taken = list(clusters)  # the rebuild has read the stored works...
        self.meanwhile()  # ...when another process changes some (into the old index, lost with it)
        super().rebuild(taken)
        self.needs_rebuild = False


def test_a_reindex_replays_what_other_processes_changed_while_it_ran(tmp_path: Path) -> None:
    hub = bootstrap(Settings(data_dir=tmp_path / "var", key_dir=tmp_path / "keys"))
    hub.cluster_store.apply(
        ClusterChange(saved=[make_cluster("w1", "Poems of the sea"), make_cluster("w2", "Letters")])
    )

    def other_process() -> None:
        now = hub.dedup.clock()  # a work saved is dated by the clock of the process that saves it
        saved = [
            make_cluster("w3", "Storm tides", updated_at=now),
            make_cluster("w1", "Poems of the deep sea", updated_at=now),
        ]
        hub.cluster_store.apply(ClusterChange(saved=saved))
        hub.cluster_store.apply(ClusterChange(deleted=["w2"], at=hub.dedup.clock()))

    index = WrittenDuringRebuild(other_process)
    catalogue = Catalogue(hub.record_store, hub.cluster_store, index, hub.dedup)
    assert catalogue.reindex_if_needed() == 2  # w1 and w3 stored now
    assert sorted(h.cluster_id for h in index.search(SearchQuery(page_size=10)).hits) == ["w1", "w3"]
    assert [h.cluster_id for h in index.search(SearchQuery(text="deep")).hits] == ["w1"]  # its newest form
    assert catalogue.reindex_if_needed() == 0
    assert catalogue.reindex_if_needed(force=True) == 2


def test_an_index_lost_while_the_store_holds_works_is_rebuilt_and_an_empty_hub_is_left_alone(tmp_path: Path) -> None:
    """A data folder restored without its index folder (or one deleted) opens an empty index: without the
    rebuild, every search would answer nothing, for good, while the works are stored."""
    from consortium.adapters.local.tantivy_index import TantivySearchIndex

    hub = bootstrap(Settings(data_dir=tmp_path / "var", key_dir=tmp_path / "keys"))
    index = TantivySearchIndex(tmp_path / "index")
    catalogue = Catalogue(hub.record_store, hub.cluster_store, index, hub.dedup)
    assert catalogue.reindex_if_needed() == 0  # nothing stored, nothing to index: a fresh hub
    hub.cluster_store.apply(ClusterChange(saved=[make_cluster("w1", "Poems of the sea"), make_cluster("w2", "Tides")]))
    assert not index.needs_rebuild
    assert catalogue.reindex_if_needed() == 2
    assert index.search(SearchQuery(text="poems")).total == 1
    assert catalogue.reindex_if_needed() == 0  # in step now
