"""A harvest hands its batches to a follower (another process, here a fake that follows when asked): each page's
checkpoint names what the follower has not confirmed, the harvest waits when it is too far ahead, and a follower
that fails is taken over by the harvest's own process."""

from __future__ import annotations

from typing import TYPE_CHECKING

from marc_builders import book

from consortium.adapters.memory import InMemoryBlobStore, InMemoryRecordStore, InMemorySearchIndex
from consortium.adapters.memory.clusters import InMemoryClusterStore
from consortium.catalogue import Catalogue
from consortium.dedup.service import DedupService
from consortium.errors import StorageError
from consortium.harvest.following import IN_FLIGHT
from consortium.harvest.service import HarvestService
from consortium.members import Member, Source
from consortium.search.query import SearchQuery

if TYPE_CHECKING:
    from pathlib import Path

    from consortium.harvest.state import PageCommit, RecordChange

MEMBER = Member(id="riverside", name="Riverside")


class LazyFollower:
    """Follows a batch only when the harvest waits for one (``followed(wait=True)``), or when closed; fails at
    the batch numbered ``fail_at`` (1 first), as a follower process that died."""

    def __init__(self, catalogue: Catalogue, fail_at: int | None = None) -> None:
        self.catalogue = catalogue
        self.fail_at = fail_at
        self.waiting: list[list[RecordChange]] = []
        self.done = 0
        self.handed = 0
        self.most_waiting = 0
        self.closed = False

    def hand(self, changes: list[RecordChange]) -> None:
        self.handed += 1
        if self.handed == self.fail_at:
            raise StorageError("the follower process stopped (exit status -9)")
        self.waiting.append(changes)
        self.most_waiting = max(self.most_waiting, len(self.waiting))

    def followed(self, *, wait: bool = False) -> int:
        if wait and self.waiting:
            self.catalogue.follow(self.waiting.pop(0))
            self.done += 1
        return self.done

    def close(self) -> str:
        self.closed = True
        return "closed"

    def abandon(self) -> str:
        self.closed = True
        self.waiting.clear()  # what it had not followed is dropped, as a process stopped at once
        return "abandoned"


class WatchedStore(InMemoryRecordStore):
    """Keeps the ``unfollowed`` of every checkpoint committed."""

    def __init__(self) -> None:
        super().__init__()
        self.unfollowed: list[int] = []

    def commit(self, page: PageCommit) -> int:
        self.unfollowed.append(len(page.checkpoint.unfollowed))
        return super().commit(page)


def hub() -> tuple[WatchedStore, InMemoryClusterStore, InMemorySearchIndex, Catalogue]:
    records, clusters, index = WatchedStore(), InMemoryClusterStore(), InMemorySearchIndex()
    return records, clusters, index, Catalogue(records, clusters, index, DedupService(records, clusters))


def source_of(tmp_path: Path, count: int) -> Source:
    path = tmp_path / "f.mrc"
    path.write_bytes(b"".join(book(f"b{i}", f"Book number {i}").as_marc() for i in range(count)))
    return Source.model_validate({"id": "f", "protocol": "marc-file", "path": path, "format": "marc21"})


def test_checkpoints_name_what_the_follower_has_not_confirmed_and_the_harvest_waits_for_it(tmp_path: Path) -> None:
    records, clusters, index, catalogue = hub()
    follower = LazyFollower(catalogue)
    harvester = HarvestService(
        records, InMemoryBlobStore(), page_size=2, on_commit=catalogue.follow, follow_every=2,
        start_follower=lambda: follower,
    )  # fmt: skip
    report = harvester.harvest_source(MEMBER, source_of(tmp_path, 20))
    assert report.complete and follower.closed
    assert follower.most_waiting == IN_FLIGHT + 1  # then the harvest waited for the oldest
    # page n's checkpoint names its own 2 records and the (at most IN_FLIGHT) batches not yet followed
    assert records.unfollowed[:5] == [2, 4, 6, 8, 8] and max(records.unfollowed) == 2 * (IN_FLIGHT + 1)
    assert records.unfollowed[-1] == 0  # the run's end: everything followed
    assert clusters.count() == 20 and index.search(SearchQuery()).total == 20


def test_a_small_run_follows_in_its_own_process_without_starting_a_follower(tmp_path: Path) -> None:
    records, clusters, _, catalogue = hub()
    started: list[LazyFollower] = []

    def start() -> LazyFollower:
        started.append(LazyFollower(catalogue))
        return started[-1]

    harvester = HarvestService(
        records, InMemoryBlobStore(), page_size=5, on_commit=catalogue.follow, follow_every=10, start_follower=start
    )
    assert harvester.harvest_source(MEMBER, source_of(tmp_path, 9)).complete
    assert started == [] and clusters.count() == 9


def test_a_follower_that_fails_is_taken_over_and_the_run_completes(tmp_path: Path) -> None:
    records, clusters, index, catalogue = hub()
    follower = LazyFollower(catalogue, fail_at=3)
    harvester = HarvestService(
        records, InMemoryBlobStore(), page_size=2, on_commit=catalogue.follow, follow_every=2,
        start_follower=lambda: follower,
    )  # fmt: skip
    report = harvester.harvest_source(MEMBER, source_of(tmp_path, 15))
    assert report.complete and follower.handed == 3 and follower.closed
    assert clusters.count() == 15 and index.search(SearchQuery(text="book number 3")).total == 1
    checkpoint = records.checkpoint("riverside/f")
    assert checkpoint is not None and checkpoint.unfollowed == []


def test_a_run_asked_to_stop_abandons_its_follower_and_the_next_writer_follows_what_it_had_not(tmp_path: Path) -> None:
    records, clusters, index, catalogue = hub()
    started: list[LazyFollower] = []

    def start() -> LazyFollower:
        started.append(LazyFollower(catalogue))
        return started[-1]

    harvester = HarvestService(
        records, InMemoryBlobStore(), page_size=2, on_commit=catalogue.follow, follow_every=2,
        start_follower=start, should_stop=lambda: records.count() >= 10,
    )  # fmt: skip
    report = harvester.harvest_source(MEMBER, source_of(tmp_path, 20))
    assert report.interrupted and not report.complete and report.counts.added == 10
    [follower] = started
    assert follower.closed and follower.waiting == []  # abandoned: nothing more handed over, nothing waited for
    assert clusters.count() < 10  # the batches it had not followed are not clustered...
    checkpoint = records.checkpoint("riverside/f")
    assert checkpoint is not None and checkpoint.in_progress
    assert len(checkpoint.unfollowed) >= 10 - clusters.count()  # ...but named by the last checkpoint
    assert harvester.catch_up() == len(checkpoint.unfollowed)  # the next writer follows them
    assert clusters.count() == 10 and index.search(SearchQuery()).total == 10
    harvester.should_stop = lambda: False
    again = harvester.harvest_source(MEMBER, source_of(tmp_path, 20))
    assert again.resumed and again.complete and again.counts.added == 20 and clusters.count() == 20


def test_a_batch_goes_to_the_follower_process_as_json_and_comes_back_the_same() -> None:
    from factories import make_rich_record

    from consortium.bootstrap.follower import BATCH
    from consortium.harvest.state import RecordChange

    batch = [
        RecordChange(member="pku", local_id="b1", record=make_rich_record()),
        RecordChange(
            member="pku", local_id="b2", record=make_rich_record(local_id="b2").model_copy(update={"year": None})
        ),
        RecordChange(member="pku", local_id="gone"),
    ]
    data = BATCH.dump_json(batch)
    assert data.startswith(b"[{") and "红楼梦".encode() in data
    again = BATCH.validate_json(data)
    assert again == batch
    assert [c.model_dump() for c in again] == [c.model_dump() for c in batch]
    assert again[0].record is not None and again[0].record.datestamp == batch[0].record.datestamp  # type: ignore[union-attr]
