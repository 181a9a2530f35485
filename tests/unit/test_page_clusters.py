"""PageClusters: the store as a page of clustering sees it answers what the store would after each change, and
its net change leaves the store as those changes applied one by one would."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from factories import T0, make_test_cluster

from consortium.adapters.memory.clusters import InMemoryClusterStore
from consortium.dedup.page import PageClusters
from consortium.dedup.state import ClusterChange, RecordPlacement

KEYS = ["shared", "a", "b", "c"]
RECORDS = [("m", f"{n:02d}") for n in range(12)] + [("n", f"{n:02d}") for n in range(6)]


def placement(rng: random.Random, key: tuple[str, str], cluster_id: str) -> RecordPlacement:
    return RecordPlacement(
        member=key[0],
        local_id=key[1],
        cluster_id=cluster_id,
        keys=sorted(rng.sample(KEYS, rng.randint(0, 3))),
        first_seen=T0 + timedelta(minutes=rng.randrange(100)),
    )


def random_change(rng: random.Random, step: int) -> ClusterChange:
    """A change such as a record's clustering makes: records placed (moved) or removed, clusters saved or
    deleted."""
    clusters = [f"c{n}" for n in range(5)]
    moved = rng.sample(RECORDS, rng.randint(1, 4))
    removed = rng.sample(RECORDS, rng.randint(0, 2))
    saved = [
        make_test_cluster(c, sorted(rng.sample(RECORDS, 2)), f"Title {c} {step}", first_seen=T0 + timedelta(days=step))
        for c in rng.sample(clusters, rng.randint(0, 2))
    ]
    deleted = [c for c in rng.sample(clusters, rng.randint(0, 2)) if c not in {s.cluster_id for s in saved}]
    return ClusterChange(
        placements=[placement(rng, key, rng.choice(clusters)) for key in moved],
        removed=[k for k in removed if k not in moved],
        saved=saved,
        deleted=deleted,
        at=T0 + timedelta(days=step),
    )


def seeded(rng: random.Random) -> InMemoryClusterStore:
    store = InMemoryClusterStore()
    store.apply(random_change(rng, 0))
    store.apply(ClusterChange(placements=[placement(rng, key, f"c{n % 5}") for n, key in enumerate(RECORDS[::2])]))
    return store


@pytest.mark.parametrize("seed", range(20))
@pytest.mark.parametrize("limit", [2, 100])
def test_reads_see_the_changes_so_far_and_the_net_change_is_theirs(seed: int, limit: int) -> None:
    rng = random.Random(seed)
    store, expected = seeded(random.Random(seed)), seeded(random.Random(seed))
    page = PageClusters(store)
    own = rng.sample(RECORDS, 6)  # the page's records: their keys may change or go
    page.prefetch(own)
    page.reserve_for(own)
    for step in range(1, 8):
        change = random_change(rng, step)
        if step > 1:  # records outside the page only move between clusters, keeping their keys
            change.placements = [
                p if (p.member, p.local_id) in own else p.model_copy(update={"keys": old.keys})
                for p in change.placements
                if (old := expected.placement((p.member, p.local_id))) is not None or (p.member, p.local_id) in own
            ]
            change.removed = [k for k in change.removed if k in own]
        page.apply(change)
        expected.apply(change)
        for key in RECORDS:
            assert page.placement(key) == expected.placement(key), (step, key)
        assert page.lookup([*KEYS, "nobody"], limit) == expected.lookup([*KEYS, "nobody"], limit), step
        for cluster_id in ("c0", "c1", "c2", "c3", "c4", "c9"):
            assert page.members_of(cluster_id) == expected.members_of(cluster_id), (step, cluster_id)
            cluster = expected.get(cluster_id)
            assert page.first_seen(cluster_id) == (cluster.first_seen if cluster else None), (step, cluster_id)
    net = page.change()
    assert net is not None
    store.apply(net)
    assert list(store.clusters()) == list(expected.clusters())
    assert store.placements(RECORDS) == expected.placements(RECORDS)
    assert store.lookup(KEYS, 1000) == expected.lookup(KEYS, 1000)
    live = [v for v in expected.changed(limit=1000) if not v.deleted]
    assert [v for v in store.changed(limit=1000) if not v.deleted] == live


def test_a_page_that_changed_nothing_has_no_change() -> None:
    page = PageClusters(InMemoryClusterStore())
    assert page.placement(("m", "1")) is None and page.lookup(["k"], 10) == {}
    assert page.change() is None


def test_each_store_answer_is_read_once() -> None:
    class Counting(InMemoryClusterStore):
        def __init__(self) -> None:
            super().__init__()
            self.reads = 0

        def placement(self, key: tuple[str, str]) -> RecordPlacement | None:
            self.reads += 1
            return super().placement(key)

        def placements(self, keys: object) -> dict[tuple[str, str], RecordPlacement]:
            self.reads += 1
            return super().placements(keys)  # type: ignore[arg-type]

    store = Counting()
    page = PageClusters(store)
    page.prefetch([("m", "1"), ("m", "2")])
    page.prefetch([("m", "1")])
    for _ in range(3):
        page.placement(("m", "1"))
        page.placement(("m", "3"))
    assert store.reads == 2
