"""A page of records clustered in one cluster store write gives the clusters that one write per record gives.

The sample members' records (``members.toml``) are clustered in harvest order and in shuffled orders, once a
record at a time (one ``apply_records`` call, so one cluster store write, each) and once a page at a time, with
the same cluster ids handed out; then a page of edits and deletes follows the same way. The works (ids, records,
every merged field), every record's placement and the change index's live entries must be the same, on the
in-memory and the SQLite cluster store. Times differ (a page is dated when it is written, each record in its own
microsecond), but not their order: the works sorted by ``first_seen`` or by ``updated_at``, and the records by
``first_seen``, come in the same order.
"""

from __future__ import annotations

import itertools
import logging
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from factories import make_checkpoint

from consortium.adapters.local import SqliteClusterStore
from consortium.adapters.memory import InMemoryBlobStore, InMemoryRecordStore
from consortium.adapters.memory.clock import ManualClock
from consortium.adapters.memory.clusters import InMemoryClusterStore
from consortium.dedup.service import DedupService
from consortium.harvest.service import HarvestService
from consortium.harvest.state import PageCommit, RecordChange
from consortium.members import load_registry
from consortium.models import RawPointer, Record

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from consortium.dedup.ports import ClusterStore
    from consortium.dedup.state import RecordKey

ROOT = Path(__file__).resolve().parents[2]
T0 = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
Batch = list[tuple["RecordKey", Record | None]]


@pytest.fixture(scope="module")
def samples() -> list[Record]:
    """The sample members' records, harvested from their files (in key order)."""
    logging.getLogger("pymarc").setLevel(logging.ERROR)
    records = InMemoryRecordStore()
    harvester = HarvestService(records, InMemoryBlobStore())
    registry = load_registry(ROOT / "members.toml")
    for member in registry.members:
        for source in member.sources:
            harvester.harvest_source(member, source)
    found = list(records.records())
    assert len(found) == 135
    return found


def counting_ids() -> Callable[[], str]:
    numbers = itertools.count(1)
    return lambda: f"{next(numbers):032x}"


class Run:
    """One way of clustering: its own stores, a clock ticking a second a reading, ids counted from 1."""

    def __init__(self, store: ClusterStore) -> None:
        self.records = InMemoryRecordStore()
        self.clusters = store
        self.service = DedupService(
            self.records, store, clock=ManualClock(T0, tick=timedelta(seconds=1)), new_id=counting_ids()
        )

    def follow(self, batch: Batch, page_size: int | None) -> None:
        """Commit the batch to the record store, then cluster it: one call per record (``page_size`` None),
        or one per page."""
        changes = [RecordChange(member=k[0], local_id=k[1], record=r) for k, r in batch]
        self.records.commit(PageCommit(changes=changes, checkpoint=make_checkpoint()))
        size = page_size or 1
        for start in range(0, len(batch), size):
            self.service.apply_records(batch[start : start + size])

    def state(self, keys: list[RecordKey]) -> dict[str, Any]:
        clusters = list(self.clusters.clusters())
        placements = {k: p for k in keys if (p := self.clusters.placement(k)) is not None}
        return {
            "clusters": [c.model_dump(exclude={"first_seen", "updated_at"}) for c in clusters],
            "placements": {k: p.model_dump(exclude={"first_seen"}) for k, p in placements.items()},
            "works by first seen": [c.cluster_id for c in sorted(clusters, key=lambda c: (c.first_seen, c.cluster_id))],
            "works by change": [c.cluster_id for c in sorted(clusters, key=lambda c: (c.updated_at, c.cluster_id))],
            "records by first seen": sorted(placements, key=lambda k: (placements[k].first_seen, k)),
            "live changes": [
                (v.cluster_id, v.members) for v in self.clusters.changed(limit=10_000) if v.cluster is not None
            ],
            "first seen is the oldest record's": all(
                c.first_seen == min(placements[k].first_seen for k in c.records) for c in clusters
            ),
        }


@pytest.fixture(params=["memory", "sqlite"])
def make_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[[], ClusterStore]]:
    opened: list[SqliteClusterStore] = []

    def make() -> ClusterStore:
        if request.param == "memory":
            return InMemoryClusterStore()
        store = SqliteClusterStore.open(tmp_path / f"clusters{len(opened)}.sqlite3")
        opened.append(store)
        return store

    yield make
    for store in opened:
        store.close()


def edits(records: list[Record], rng: random.Random) -> Batch:
    """A page of changes: some records deleted, others rewritten as another record's work, one added."""
    chosen = rng.sample(records, 30)
    batch: Batch = [(r.key, None) for r in chosen[:12]]
    for record, other in zip(chosen[12:], rng.sample(records, 18), strict=True):
        moved = record.model_copy(
            update={
                "title": other.title,
                "authors": other.authors,
                "year": other.year,
                "identifiers": other.identifiers,
                "raw": RawPointer(digest=RawPointer.digest_of(f"{record.key}/{other.key}".encode()), media_type="x"),
            }
        )
        batch.append((record.key, moved))
    extra = records[0].model_copy(update={"local_id": "added-in-the-edits"})
    batch.append((extra.key, extra))
    rng.shuffle(batch)
    return batch


@pytest.mark.parametrize("order", ["harvest", "shuffled 1", "shuffled 2", "shuffled 3"])
def test_a_page_at_a_time_clusters_as_a_record_at_a_time(
    samples: list[Record], make_store: Callable[[], ClusterStore], order: str
) -> None:
    rng = random.Random(order)
    records = list(samples)
    if order != "harvest":
        rng.shuffle(records)
    first: Batch = [(r.key, r) for r in records]
    second = edits(records, rng)
    keys = sorted({k for k, _ in first + second})

    by_record = Run(make_store())
    by_record.follow(first, None)
    after_first = by_record.state(keys)
    by_record.follow(second, None)
    after_second = by_record.state(keys)
    assert 60 < len(after_first["clusters"]) < 135  # works of several records, and records apart

    for page_size in (25, 200):
        by_page = Run(make_store())
        by_page.follow(first, page_size)
        assert by_page.state(keys) == after_first, page_size
        by_page.follow(second, page_size)
        assert by_page.state(keys) == after_second, page_size
