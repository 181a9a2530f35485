"""The harvester hands committed pages to clustering and indexing in batches of ``follow_every`` records; every
page's checkpoint names what is not followed yet, so a run that dies in between loses nothing."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from marc_builders import book

from consortium.adapters.memory import InMemoryBlobStore, InMemoryRecordStore, InMemorySearchIndex
from consortium.adapters.memory.clusters import InMemoryClusterStore
from consortium.catalogue import Catalogue
from consortium.dedup.service import DedupService
from consortium.errors import StorageError
from consortium.harvest.service import HarvestService
from consortium.harvest.state import PageCommit
from consortium.members import Member, Source
from consortium.search.query import SearchQuery

if TYPE_CHECKING:
    from pathlib import Path

    from consortium.harvest.state import RecordChange

MEMBER = Member(id="riverside", name="Riverside")


class Died(Exception):
    """The process stops here."""


def source_of(tmp_path: Path, count: int) -> Source:
    path = tmp_path / "f.mrc"
    path.write_bytes(b"".join(book(f"b{i}", f"Book number {i}").as_marc() for i in range(count)))
    return Source.model_validate({"id": "f", "protocol": "marc-file", "path": path, "format": "marc21"})


def test_pages_are_followed_in_batches_and_the_rest_at_the_end(tmp_path: Path) -> None:
    records, clusters, index = InMemoryRecordStore(), InMemoryClusterStore(), InMemorySearchIndex()
    catalogue = Catalogue(records, clusters, index, DedupService(records, clusters))
    batches: list[int] = []

    def follow(changes: list[RecordChange]) -> None:
        batches.append(len(changes))
        catalogue.follow(changes)

    harvester = HarvestService(records, InMemoryBlobStore(), page_size=2, on_commit=follow, follow_every=4)
    report = harvester.harvest_source(MEMBER, source_of(tmp_path, 11))
    assert report.complete and batches == [4, 4, 3]
    assert clusters.count() == 11 and index.search(SearchQuery()).total == 11
    checkpoint = records.checkpoint("riverside/f")
    assert checkpoint is not None and checkpoint.unfollowed == []


def test_a_run_that_dies_before_a_batch_is_followed_follows_all_of_it_next_time(tmp_path: Path) -> None:
    records, clusters, index = InMemoryRecordStore(), InMemoryClusterStore(), InMemorySearchIndex()
    catalogue = Catalogue(records, clusters, index, DedupService(records, clusters))
    calls = 0

    def follow(changes: list[RecordChange]) -> None:
        nonlocal calls
        calls += 1
        if calls == 2:
            raise Died  # four pages committed, the last two (four records) not followed
        catalogue.follow(changes)

    harvester = HarvestService(records, InMemoryBlobStore(), page_size=2, on_commit=follow, follow_every=4)
    source = source_of(tmp_path, 11)
    with pytest.raises(Died):
        harvester.harvest_source(MEMBER, source)
    assert records.count() == 8 and clusters.count() == 4
    checkpoint = records.checkpoint("riverside/f")
    assert checkpoint is not None
    assert checkpoint.unfollowed == [("riverside", f"b{i}") for i in range(4, 8)]

    report = harvester.harvest_source(MEMBER, source)
    assert report.complete and report.resumed
    assert clusters.count() == 11 and index.search(SearchQuery(text="book number 6")).total == 1


def test_a_run_that_fails_follows_what_it_committed_before_the_error_goes_on(tmp_path: Path) -> None:
    class FailingStore(InMemoryRecordStore):
        """Refuses the fourth page."""

        def __init__(self) -> None:
            super().__init__()
            self.commits = 0

        def commit(self, page: PageCommit) -> int:
            self.commits += 1
            if self.commits == 4:
                raise StorageError("the disk is full")
            return super().commit(page)

    records, clusters, index = FailingStore(), InMemoryClusterStore(), InMemorySearchIndex()
    catalogue = Catalogue(records, clusters, index, DedupService(records, clusters))
    batches: list[int] = []

    def follow(changes: list[RecordChange]) -> None:
        batches.append(len(changes))
        catalogue.follow(changes)

    harvester = HarvestService(records, InMemoryBlobStore(), page_size=2, on_commit=follow, follow_every=4)
    with pytest.raises(StorageError):
        harvester.harvest_source(MEMBER, source_of(tmp_path, 11))
    assert batches == [4, 2]  # the third page, committed, is followed; the fourth, refused, is not
    assert records.count() == clusters.count() == index.search(SearchQuery()).total == 6
