"""The ClusterStore contract, part two: the change index the OAI-PMH provider lists (``changed``,
``count_changed``, ``version``) and the tombstones deleted clusters leave. Every adapter (memory, SQLite,
DynamoDB on moto) passes it; the fixtures are the ones of ``test_cluster_store.py``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import test_cluster_store as base
from cluster_data import CST, place
from factories import T0, make_test_cluster

from consortium.dedup.state import ClusterChange

if TYPE_CHECKING:
    from backings import Backing

    from consortium.dedup.ports import ClusterStore
    from consortium.dedup.state import ClusterVersion
    from consortium.models import Cluster

backing = base.backing
store = base.store


def changed_at(cluster_id: str, when: datetime, records: list[tuple[str, str]] | None = None) -> Cluster:
    """A cluster last changed at ``when`` (first seen at ``T0``)."""
    return make_test_cluster(cluster_id, records or [("m", cluster_id)], f"Title {cluster_id}", updated_at=when)


def listed(versions: list[ClusterVersion]) -> list[tuple[str, bool]]:
    return [(v.cluster_id, v.deleted) for v in versions]


def everything(store: ClusterStore, member: str | None = None, page: int = 7) -> list[ClusterVersion]:
    """The whole change index (for ``member``), read page by page through the cursor."""
    found: list[ClusterVersion] = []
    while True:
        after = found[-1].cursor if found else None
        batch = store.changed(member=member, after=after, limit=page)
        found.extend(batch)
        if len(batch) < page:
            return found


def test_the_change_index_lists_the_window_in_change_order(backing: Backing[ClusterStore]) -> None:
    store = backing.store
    assert store.changed() == [] and store.count_changed() == 0
    day = timedelta(days=1)
    clusters = [
        changed_at("before", T0 - day),
        changed_at("at-since", T0.astimezone(CST)),  # the same instant as T0, written at UTC+8
        changed_at("tie-b", T0 + day),
        changed_at("tie-a", (T0 + day).astimezone(CST)),
        changed_at("evening", datetime(2025, 3, 2, 20, tzinfo=UTC).astimezone(CST)),
        changed_at("at-until", T0 + 3 * day),
        changed_at("naive", (T0 + 5 * day).replace(tzinfo=None)),  # a naive time counts as UTC
    ]
    store.apply(ClusterChange(saved=clusters[::2]))
    store.apply(ClusterChange(saved=clusters[1::2]))
    for reopened in (False, True):
        reader = backing.reopen() if reopened else store
        inside = ["at-since", "tie-a", "tie-b", "evening"]
        got = reader.changed(T0, T0 + 3 * day)
        assert [v.cluster_id for v in got] == inside
        assert all(not v.deleted and v.cluster is not None for v in got)
        assert got[0].cluster == clusters[1] and got[0].changed_at == clusters[1].updated_at
        assert got[0].members == ["m"]
        assert reader.count_changed(T0, T0 + 3 * day) == 4
        assert [v.cluster_id for v in reader.changed()] == ["before", *inside, "at-until", "naive"]
        assert [v.cluster_id for v in reader.changed(until=T0)] == ["before"]
        assert [v.cluster_id for v in reader.changed(T0 + 3 * day)] == ["at-until", "naive"]
        assert reader.count_changed(T0 + 3 * day) == 2 and reader.count_changed(until=T0) == 1
        assert reader.changed(T0, T0) == [] and reader.count_changed(T0 + day, T0) == 0
        # The cursor resumes after the last entry, ties by id; limit bounds the page.
        first = reader.changed(T0, limit=2)
        assert [v.cluster_id for v in first] == inside[:2]
        assert [v.cluster_id for v in reader.changed(T0, after=first[-1].cursor, limit=2)] == inside[2:]
        assert reader.changed(limit=0) == []


def test_paging_through_many_entries_gives_each_once(store: ClusterStore) -> None:
    # Over DynamoDB's 100 keys per BatchGetItem; half of them tie on one instant, and they span three days.
    clusters = [changed_at(f"c{n:03d}", T0 + timedelta(hours=n // 2 if n % 2 else 0)) for n in range(base.BIG)]
    store.apply(ClusterChange(saved=clusters))
    expected = sorted(clusters, key=lambda c: (c.updated_at, c.cluster_id))
    assert [v.cluster for v in everything(store)] == expected
    assert [v.cluster for v in everything(store, page=100)] == expected
    assert store.count_changed() == base.BIG


def test_a_cluster_saved_again_moves_to_its_new_time(store: ClusterStore) -> None:
    store.apply(ClusterChange(saved=[changed_at("c1", T0), changed_at("c2", T0 + timedelta(hours=1))]))
    later = changed_at("c1", T0 + timedelta(days=2), [("m", "c1"), ("n", "9")])
    store.apply(ClusterChange(saved=[later]))
    store.apply(ClusterChange(saved=[later]))
    assert [v.cluster_id for v in store.changed()] == ["c2", "c1"]
    assert store.changed(T0 + timedelta(days=1))[0].cluster == later
    assert store.count_changed() == 2
    assert [v.cluster_id for v in store.changed(member="n")] == ["c1"]
    # Back to an earlier time (a clock set back): still once.
    store.apply(ClusterChange(saved=[changed_at("c1", T0 - timedelta(days=1))]))
    assert [v.cluster_id for v in store.changed()] == ["c1", "c2"]
    assert store.changed(member="n") == []


def test_a_deleted_cluster_leaves_a_tombstone(backing: Backing[ClusterStore]) -> None:
    store = backing.store
    held = [("lakeside", "x9"), ("riverside", "b1")]
    store.apply(ClusterChange(saved=[changed_at("c1", T0, held), changed_at("c2", T0 + timedelta(hours=1))]))
    gone_at = (T0 + timedelta(days=1)).astimezone(CST)
    change = ClusterChange(removed=held, deleted=["c1", "never-saved"], at=gone_at)
    store.apply(change)
    store.apply(change)  # applied again: the same tombstone

    for reopened in (False, True):
        reader = backing.reopen() if reopened else store
        assert reader.get("c1") is None and reader.count() == 1
        assert listed(reader.changed()) == [("c2", False), ("c1", True)]
        tombstone = reader.changed()[1]
        assert (tombstone.changed_at, tombstone.members, tombstone.cluster) == (
            gone_at,
            ["lakeside", "riverside"],
            None,
        )
        assert reader.version("c1") == tombstone
        assert reader.version("never-saved") is None
        assert reader.version("c2") is not None and reader.version("c2").cluster == changed_at(  # type: ignore[union-attr]
            "c2", T0 + timedelta(hours=1)
        )
        assert listed(reader.changed(member="lakeside")) == [("c1", True)]
        assert reader.count_changed(member="riverside") == 1 and reader.count_changed() == 2
        assert listed(reader.changed(T0 + timedelta(hours=2))) == [("c1", True)]
        assert list(reader.clusters()) == [changed_at("c2", T0 + timedelta(hours=1))]

    # Deleted again later (already gone): the tombstone keeps its date.
    reader.apply(ClusterChange(deleted=["c1"], at=T0 + timedelta(days=9)))
    assert reader.version("c1") == tombstone


def test_saving_a_deleted_id_again_replaces_its_tombstone(store: ClusterStore) -> None:
    store.apply(ClusterChange(saved=[changed_at("c1", T0, [("a", "1")])]))
    store.apply(ClusterChange(deleted=["c1"], at=T0 + timedelta(hours=1)))
    back = changed_at("c1", T0 + timedelta(hours=2), [("b", "1")])
    store.apply(ClusterChange(saved=[back]))
    assert listed(store.changed()) == [("c1", False)]
    assert store.version("c1") == store.changed()[0] and store.changed()[0].cluster == back
    assert store.changed(member="a") == [] and listed(store.changed(member="b")) == [("c1", False)]

    # Deleted and saved in one change: saved last, so no tombstone.
    again = changed_at("c1", T0 + timedelta(hours=3), [("b", "1")])
    store.apply(ClusterChange(deleted=["c1"], saved=[again], at=T0 + timedelta(hours=3)))
    assert listed(store.changed()) == [("c1", False)] and store.count_changed() == 1


def test_records_merging_shows_the_absorbed_cluster_as_deleted(store: ClusterStore) -> None:
    """What dedup writes when a record joins another work: the cluster it left is deleted, the one it joined is
    saved; a harvester listing changes since before the merge sees both."""
    store.apply(
        ClusterChange(
            placements=[place("a", "1", "c1"), place("b", "1", "c2")],
            saved=[changed_at("c1", T0, [("a", "1")]), changed_at("c2", T0, [("b", "1")])],
        )
    )
    merged_at = T0 + timedelta(minutes=5)
    store.apply(
        ClusterChange(
            placements=[place("b", "1", "c1")],
            saved=[changed_at("c1", merged_at, [("a", "1"), ("b", "1")])],
            deleted=["c2"],
            at=merged_at,
        )
    )
    assert listed(store.changed(merged_at)) == [("c1", False), ("c2", True)]
    assert listed(store.changed(merged_at, member="b")) == [("c1", False), ("c2", True)]
    assert listed(store.changed(member="a")) == [("c1", False)]
    assert store.count_changed(merged_at, member="b") == 2


def test_each_members_list_follows_the_clusters_records(backing: Backing[ClusterStore]) -> None:
    store = backing.store
    shared = [("北大", "善本-001"), ("lakeside", "2"), ("riverside", "1")]
    store.apply(
        ClusterChange(
            saved=[
                changed_at("w1", T0, shared),
                changed_at("w2", T0 + timedelta(seconds=1), [("riverside", "2")]),
                changed_at("w3", T0 + timedelta(seconds=2), [("lakeside", "3")]),
            ]
        )
    )
    assert [v.cluster_id for v in store.changed(member="riverside")] == ["w1", "w2"]
    assert [v.cluster_id for v in store.changed(member="北大")] == ["w1"]
    assert store.changed(member="nobody") == [] and store.count_changed(member="nobody") == 0
    # riverside's record leaves w1: w1 is no longer in riverside's list, and is listed once in lakeside's.
    store.apply(ClusterChange(saved=[changed_at("w1", T0 + timedelta(seconds=3), shared[:2])]))
    again = backing.reopen()
    assert [v.cluster_id for v in again.changed(member="riverside")] == ["w2"]
    assert [v.cluster_id for v in again.changed(member="lakeside")] == ["w3", "w1"]
    assert [v.cluster_id for v in again.changed(member="lakeside", after=(T0 + timedelta(seconds=2), "w3"))] == ["w1"]
    assert again.count_changed(member="lakeside") == 2 and again.count_changed() == 3
    page = again.changed(T0 + timedelta(seconds=1), T0 + timedelta(seconds=3), member="lakeside")
    assert [v.cluster_id for v in page] == ["w3"]
