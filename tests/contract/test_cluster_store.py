"""The ClusterStore contract: every adapter (memory, SQLite, DynamoDB on moto) behaves the same.

What only one adapter has is tested beside it: ``test_cluster_store_sqlite.py``, ``test_cluster_store_dynamodb.py``;
the migration of an old cluster table in ``test_sqlite_migrations.py``.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import pytest
from backings import Backing, dynamodb_table, reopening
from cluster_data import CST, SINCE, UNTIL, ids, place, seen_at
from factories import T0, make_test_cluster

from consortium.adapters.local import SqliteClusterStore
from consortium.adapters.memory.clusters import InMemoryClusterStore
from consortium.dedup.state import ClusterChange
from consortium.models import Holding

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from consortium.dedup.ports import ClusterStore

BIG = 150
"""Placements in the big change: over DynamoDB's 25 writes and 100 reads per batch."""


@pytest.fixture(params=["memory", "sqlite", "dynamodb"])
def backing(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backing[ClusterStore]]:
    if request.param == "memory":
        yield Backing.same(InMemoryClusterStore())
    elif request.param == "sqlite":
        yield from reopening(lambda: SqliteClusterStore.open(tmp_path / "var" / "consortium.sqlite3"))
    else:
        from consortium.adapters.aws import DynamoDbClusterStore

        with dynamodb_table(request, "clusters") as (make_client, table):
            yield Backing.fresh(lambda: DynamoDbClusterStore(table, make_client("dynamodb")))


@pytest.fixture
def store(backing: Backing[ClusterStore]) -> ClusterStore:
    return backing.store


# -- placements ------------------------------------------------------------------------------------


def test_placement_round_trips(store: ClusterStore) -> None:
    assert store.placement(("m", "1")) is None
    seen = datetime(2025, 1, 2, 3, 4, 5, 678, tzinfo=CST)
    placement = place("m", "1", "c1", ["isbn:9787020002207", "t:moby dick"], seen)
    store.apply(ClusterChange(placements=[placement]))
    got = store.placement(("m", "1"))
    assert got == placement
    assert got is not None and got.first_seen == seen and got.first_seen.utcoffset() == timedelta(hours=8)
    assert store.placement(("m", "2")) is None
    assert store.placement(("other", "1")) is None
    assert store.count() == 0  # placing records saves no cluster


def test_stored_placements_are_copies(store: ClusterStore) -> None:
    placement = place("m", "1", "c1", ["k"])
    store.apply(ClusterChange(placements=[placement]))
    placement.keys.append("changed after apply")
    got = store.placement(("m", "1"))
    assert got is not None and got.keys == ["k"]
    got.keys.append("changed after get")
    assert store.placement(("m", "1")) == place("m", "1", "c1", ["k"])


def test_placements_reads_many_at_once_as_placement_reads_each(store: ClusterStore) -> None:
    assert store.placements([]) == {}
    keys = [("m", f"{n:04d}") for n in range(BIG)] + [("中", "甲"), ("other", "0001")]
    placed = [place(m, i, f"c{n % 7}", [f"own:{m}/{i}"], T0 + timedelta(seconds=n)) for n, (m, i) in enumerate(keys)]
    store.apply(ClusterChange(placements=placed))
    asked = [*reversed(keys), ("m", "never"), ("nobody", "1"), keys[0]]
    found = store.placements(iter(asked))
    assert found == {k: p for k, p in zip(keys, placed, strict=True)}
    assert all(store.placement(k) == found[k] for k in keys)
    found[keys[0]].keys.append("changed after placements")  # copies, as placement gives
    assert store.placements([keys[0]]) == {keys[0]: placed[0]}
    store.apply(ClusterChange(removed=keys[:2]))
    assert store.placements(keys[:3]) == {keys[2]: placed[2]}


def test_lookup_sorts_limits_and_leaves_out_unknown_keys(store: ClusterStore) -> None:
    records = [("b", "2"), ("a", "10"), ("B", "1"), ("a", "9"), ("ab", "1"), ("a", "2"), ("中", "乙"), ("中", "甲")]
    store.apply(ClusterChange(placements=[place(m, i, f"c-{m}-{i}", ["shared", f"own:{m}/{i}"]) for m, i in records]))
    found = store.lookup(["shared", "own:a/9", "nobody has it", "shared"], limit=100)
    assert found == {"shared": sorted(records), "own:a/9": [("a", "9")]}
    assert list(found) == ["shared", "own:a/9"]
    assert store.lookup(["shared"], limit=3) == {"shared": sorted(records)[:3]}
    assert store.lookup(iter(["shared"]), limit=1) == {"shared": [("B", "1")]}
    assert store.lookup(["shared"]) == {"shared": sorted(records)}
    assert store.lookup([]) == {}
    assert store.lookup(["nobody has it"]) == {}


def test_lookup_limit_zero_names_the_keys_with_records(store: ClusterStore) -> None:
    store.apply(ClusterChange(placements=[place("m", "1", "c1", ["k"])]))
    assert store.lookup(["k", "none"], limit=0) == {"k": []}


def test_moving_a_record_drops_its_old_keys_and_membership(store: ClusterStore) -> None:
    store.apply(
        ClusterChange(
            placements=[place("m", "1", "c1", ["old", "kept"]), place("m", "2", "c1", ["old", "kept"])],
            saved=[make_test_cluster("c1", [("m", "1"), ("m", "2")])],
        )
    )
    moved = place("m", "1", "c2", ["kept", "new"], T0)
    store.apply(ClusterChange(placements=[moved], saved=[make_test_cluster("c2", [("m", "1")])]))
    assert store.placement(("m", "1")) == moved
    assert store.lookup(["old", "kept", "new"]) == {
        "old": [("m", "2")],
        "kept": [("m", "1"), ("m", "2")],
        "new": [("m", "1")],
    }
    assert store.members_of("c1") == [("m", "2")]
    assert store.members_of("c2") == [("m", "1")]

    # Re-placed in the same cluster with other keys: the membership stays, the keys follow.
    again = moved.model_copy(update={"keys": ["newer"]})
    store.apply(ClusterChange(placements=[again]))
    assert store.lookup(["kept", "new", "newer"]) == {"kept": [("m", "2")], "newer": [("m", "1")]}
    assert store.members_of("c2") == [("m", "1")]


def test_last_placement_of_a_record_in_a_change_wins(store: ClusterStore) -> None:
    last = place("m", "1", "c2", ["b"])
    change = ClusterChange(removed=[("m", "1")], placements=[place("m", "1", "c1", ["a", "a"]), last])
    store.apply(change)
    assert store.placement(("m", "1")) == last
    assert store.lookup(["a", "b"]) == {"b": [("m", "1")]}
    assert (store.members_of("c1"), store.members_of("c2")) == ([], [("m", "1")])


def test_removal(store: ClusterStore) -> None:
    store.apply(ClusterChange(placements=[place("m", "1", "c1", ["k"]), place("m", "2", "c1", ["k"])]))
    store.apply(ClusterChange(removed=[("m", "1"), ("m", "never-placed")]))
    assert store.placement(("m", "1")) is None
    assert store.lookup(["k"]) == {"k": [("m", "2")]}
    assert store.members_of("c1") == [("m", "2")]
    store.apply(ClusterChange(removed=[("m", "2")]))
    assert store.lookup(["k"]) == {}
    assert store.members_of("c1") == []


def test_removed_then_placed_in_one_change_is_placed(store: ClusterStore) -> None:
    store.apply(ClusterChange(placements=[place("m", "1", "c1", ["old"])]))
    placement = place("m", "1", "c1", ["new"])
    store.apply(ClusterChange(removed=[("m", "1")], placements=[placement]))
    assert store.placement(("m", "1")) == placement
    assert store.lookup(["old", "new"]) == {"new": [("m", "1")]}
    assert store.members_of("c1") == [("m", "1")]


def test_members_of_is_sorted(store: ClusterStore) -> None:
    keys = [("b", "2"), ("a", "10"), ("B", "1"), ("a", "9"), ("ab", "1"), ("中", "甲")]
    store.apply(ClusterChange(placements=[place(m, i, "c1") for m, i in keys] + [place("x", "1", "c2")]))
    assert store.members_of("c1") == sorted(keys)
    assert store.members_of("c2") == [("x", "1")]
    assert store.members_of("nothing") == []


def test_applying_a_change_twice_is_idempotent(store: ClusterStore) -> None:
    store.apply(ClusterChange(placements=[place("m", "1", "c0", ["gone"])], saved=[make_test_cluster("c0")]))
    change = ClusterChange(
        placements=[place("m", "1", "c1", ["k"]), place("m", "2", "c1", ["k", "j"])],
        removed=[("m", "3")],
        saved=[make_test_cluster("c1", [("m", "1"), ("m", "2")])],
        deleted=["c0"],
    )
    store.apply(change)
    before = (store.lookup(["k", "j", "gone"]), store.members_of("c1"), list(store.clusters()))
    store.apply(change)
    assert (store.lookup(["k", "j", "gone"]), store.members_of("c1"), list(store.clusters())) == before
    assert before[0] == {"k": [("m", "1"), ("m", "2")], "j": [("m", "2")]}


# -- clusters --------------------------------------------------------------------------------------


def test_saved_cluster_round_trips(store: ClusterStore) -> None:
    assert store.get("c1") is None
    cluster = make_test_cluster(
        "c1",
        [("a", "1"), ("b", "2")],
        "Moby Dick",
        authors=["Melville, Herman"],
        year=1851,
        holdings=[Holding(member="a", location="Stacks", call_number="PS2384 .M6")],
        first_seen=datetime(2024, 12, 31, 23, 59, 59, 1, tzinfo=CST),
        updated_at=T0,
    )
    store.apply(ClusterChange(saved=[cluster]))
    got = store.get("c1")
    assert got == cluster
    assert got is not None and got.first_seen.utcoffset() == timedelta(hours=8)
    assert store.count() == 1

    changed = cluster.model_copy(update={"title": "Moby-Dick; or, The Whale", "updated_at": T0 + timedelta(days=1)})
    store.apply(ClusterChange(saved=[changed]))
    assert store.get("c1") == changed
    assert store.count() == 1


def test_deleted_clusters(store: ClusterStore) -> None:
    store.apply(ClusterChange(saved=[make_test_cluster(c) for c in ["c1", "c2", "c3"]]))
    store.apply(ClusterChange(deleted=["c1", "never-saved"]))
    assert store.get("c1") is None
    assert [c.cluster_id for c in store.clusters()] == ["c2", "c3"]
    # Deleted and saved in one change: saved last, so kept.
    kept = make_test_cluster("c2", title="Kept")
    store.apply(ClusterChange(deleted=["c2", "c3"], saved=[kept]))
    assert list(store.clusters()) == [kept]
    assert store.count() == 1


def test_clusters_in_id_order_and_count(store: ClusterStore) -> None:
    assert list(store.clusters()) == []
    assert store.count() == 0
    ids = ["b", "a", "B", "aa", "a0", "中", "z", *(uuid.UUID(int=n * 7919).hex for n in range(40))]
    store.apply(ClusterChange(saved=[make_test_cluster(c, title=f"Title {c}") for c in ids]))
    assert [c.cluster_id for c in store.clusters()] == sorted(ids)
    assert store.count() == len(ids)


def test_shared_clusters_are_counted_and_ranked(backing: Backing[ClusterStore]) -> None:
    store = backing.store
    assert (store.count_shared(), store.most_shared(5)) == (0, [])
    held = {
        "c1": [("a", "1")],
        "c2": [("a", "2"), ("a", "3")],  # two records, one member: not shared
        "c3": [("a", "4"), ("b", "1")],
        "c4": [("a", "5"), ("b", "2"), ("c", "1")],
        "c5": [("b", "3"), ("c", "2")],
        "c6": [("c", "3"), ("d", "1")],
    }
    titles = {"c3": "Moby Dick", "c5": "Emma", "c6": "Emma"}
    store.apply(ClusterChange(saved=[make_test_cluster(c, r, titles.get(c, f"T {c}")) for c, r in held.items()]))
    assert store.count_shared() == 4
    # The most members first, then by title, then by id.
    assert ids(store.most_shared(10)) == ["c4", "c5", "c6", "c3"]
    assert ids(store.most_shared(2)) == ["c4", "c5"]
    assert store.most_shared(1) == [make_test_cluster("c4", held["c4"], "T c4")]
    assert store.most_shared(0) == []

    # A cluster left with one member, and a deleted one, are no longer shared; one newly shared is.
    unshared, newly_shared = make_test_cluster("c4", [("a", "5")]), make_test_cluster("c1", held["c3"])
    store.apply(ClusterChange(saved=[unshared, newly_shared], deleted=["c5"]))
    again = backing.reopen()
    assert again.count_shared() == 3
    assert ids(again.most_shared(10)) == ["c1", "c6", "c3"]


def test_sharing_counts_per_member(backing: Backing[ClusterStore]) -> None:
    store = backing.store
    assert store.sharing_counts("a") == {}
    held = {
        "c1": [("a", "1")],
        "c2": [("a", "2"), ("a", "3")],  # two records, one member: the member's alone
        "c3": [("a", "4"), ("b", "1")],
        "c4": [("a", "5"), ("b", "2"), ("c", "1")],
        "c5": [("b", "3"), ("c", "2")],
        "c6": [("ab", "1")],  # a member whose id starts with another's
    }
    change = ClusterChange(saved=[make_test_cluster(c, r) for c, r in held.items()])
    store.apply(change)
    store.apply(change)  # applied twice: counted once
    assert store.sharing_counts("a") == {1: 2, 2: 1, 3: 1}
    assert store.sharing_counts("b") == {2: 2, 3: 1}
    assert store.sharing_counts("c") == {2: 1, 3: 1}
    assert store.sharing_counts("ab") == {1: 1}
    assert store.sharing_counts("nobody") == {}

    # c4 loses c, c1 gains b, c5 is deleted, c2 is deleted and saved again in one change (kept).
    store.apply(
        ClusterChange(
            saved=[make_test_cluster("c4", [("a", "5"), ("b", "2")]), make_test_cluster("c1", [("a", "1"), ("b", "9")]),
                   make_test_cluster("c2", held["c2"])],
            deleted=["c5", "c2"],
        )
    )  # fmt: skip
    again = backing.reopen()
    assert again.sharing_counts("a") == {1: 1, 2: 3}
    assert again.sharing_counts("b") == {2: 3}
    assert again.sharing_counts("c") == {}


def test_chinese_text_round_trips(store: ClusterStore) -> None:
    placement = place("北大", "善本-001", "簇-红楼梦", ["t:红楼梦 脂砚斋", "isbn:9787020002207"])
    cluster = make_test_cluster(
        "簇-红楼梦",
        [("北大", "善本-001"), ("上图", "CN-0012")],
        "红楼梦",
        subtitle="脂砚斋重评石头记",
        authors=["曹雪芹", "高鹗"],
        publisher="人民文学出版社",
        language="chi",
        subjects=["章回小说 — 中国 — 清代"],
        holdings=[Holding(member="北大", location="古籍阅览室", call_number="I242.4/5")],
    )
    store.apply(ClusterChange(placements=[placement], saved=[cluster]))
    assert store.placement(("北大", "善本-001")) == placement
    assert store.lookup(["t:红楼梦 脂砚斋"]) == {"t:红楼梦 脂砚斋": [("北大", "善本-001")]}
    assert store.members_of("簇-红楼梦") == [("北大", "善本-001")]
    assert store.get("簇-红楼梦") == cluster
    assert list(store.clusters()) == [cluster]


def test_big_change_crosses_batch_limits(store: ClusterStore) -> None:
    placements = [place("big", f"{n:04d}", f"c{n % 3}", ["shared", f"own:{n}"]) for n in range(BIG)]
    clusters = [make_test_cluster(f"c{n}", [(p.member, p.local_id) for p in placements[n::3]]) for n in range(3)]
    store.apply(ClusterChange(placements=placements, saved=clusters))
    keys = [(p.member, p.local_id) for p in placements]
    assert store.lookup(["shared"], limit=BIG + 10) == {"shared": keys}
    assert store.lookup(["shared"], limit=120) == {"shared": keys[:120]}
    assert store.members_of("c1") == keys[1::3]
    assert all(store.placement(k) == p for k, p in zip(keys, placements, strict=True))
    assert list(store.clusters()) == clusters

    # Every record moves to one cluster with new keys: every old key entry and membership goes.
    moved = [p.model_copy(update={"cluster_id": "c-all", "keys": ["moved"]}) for p in placements]
    store.apply(ClusterChange(placements=moved, deleted=["c0", "c1", "c2"], saved=[make_test_cluster("c-all", keys)]))
    assert store.lookup(["shared", "own:0", f"own:{BIG - 1}", "moved"], limit=1000) == {"moved": keys}
    assert store.members_of("c-all") == keys
    assert [store.members_of(f"c{n}") for n in range(3)] == [[], [], []]
    assert store.count() == 1

    store.apply(ClusterChange(removed=keys, deleted=["c-all"]))
    assert store.lookup(["moved"]) == {}
    assert store.members_of("c-all") == []
    assert store.count() == 0


def test_data_visible_from_a_new_store_on_the_same_backing(backing: Backing[ClusterStore]) -> None:
    placement = place("m", "1", "c1", ["k"], datetime(2025, 1, 2, tzinfo=CST))
    cluster = make_test_cluster("c1", [("m", "1")])
    backing.store.apply(ClusterChange(placements=[placement], saved=[cluster]))

    again = backing.reopen()
    assert again.placement(("m", "1")) == placement
    assert again.lookup(["k"]) == {"k": [("m", "1")]}
    assert again.members_of("c1") == [("m", "1")]
    assert again.get("c1") == cluster
    assert list(again.clusters()) == [cluster]
    assert again.count() == 1


# -- new_since -------------------------------------------------------------------------------------


def test_new_since_returns_exactly_the_window_oldest_first(backing: Backing[ClusterStore]) -> None:
    store = backing.store
    assert list(store.new_since(SINCE)) == []
    tie = T0 + timedelta(days=1)
    clusters = [
        seen_at("long-before", T0 - timedelta(days=10)),
        seen_at("just-before", T0 - timedelta(microseconds=1)),
        seen_at("at-since", T0.astimezone(CST)),  # the same instant as SINCE, written at UTC+8: included
        seen_at("tie-b", tie),
        seen_at("tie-a", tie.astimezone(CST)),  # ties by id, whatever the offset
        # 20:00 UTC on 2 March is 04:00 on 3 March at UTC+8: bucketed and ordered by the instant, not the date.
        seen_at("evening", datetime(2025, 3, 2, 20, tzinfo=UTC).astimezone(CST)),
        seen_at("just-before-until", UNTIL - timedelta(microseconds=1)),
        seen_at("at-until", UNTIL),  # excluded: the window is [since, until)
        seen_at("after", UNTIL + timedelta(days=5)),
        seen_at("far-future", datetime(2100, 1, 1, tzinfo=UTC)),
    ]
    store.apply(ClusterChange(saved=clusters[::2]))
    store.apply(ClusterChange(saved=clusters[1::2]))
    by_id = {c.cluster_id: c for c in clusters}
    inside = ["at-since", "tie-a", "tie-b", "evening", "just-before-until"]

    for reopened in (False, True):
        reader = backing.reopen() if reopened else store
        got = list(reader.new_since(SINCE, UNTIL))
        assert ids(got) == inside
        assert got == [by_id[i] for i in inside]  # whole clusters, first_seen with its offset
        assert ids(reader.new_since(SINCE)) == [*inside, "at-until", "after", "far-future"]
        assert ids(reader.new_since(SINCE.astimezone(CST), UNTIL.astimezone(CST))) == inside
        assert ids(reader.new_since(datetime(2000, 1, 1, tzinfo=UTC), T0)) == ["long-before", "just-before"]
        assert ids(reader.new_since(tie, tie + timedelta(microseconds=1))) == ["tie-a", "tie-b"]
        assert list(reader.new_since(UNTIL, UNTIL)) == []
        assert list(reader.new_since(UNTIL, SINCE)) == []


def test_new_since_pages_through_many_clusters(store: ClusterStore) -> None:
    # Over DynamoDB's 100 keys per BatchGetItem; half of them tie on one instant.
    clusters = [seen_at(f"c{n:03d}", T0 + timedelta(seconds=n if n % 2 else 0)) for n in range(BIG)]
    store.apply(ClusterChange(saved=clusters))
    expected = sorted(clusters, key=lambda c: (c.first_seen, c.cluster_id))
    assert list(store.new_since(T0)) == expected
    assert list(store.new_since(T0 + timedelta(microseconds=1))) == [c for c in expected if c.first_seen > T0]


def test_deleted_clusters_are_gone_from_new_since(store: ClusterStore) -> None:
    store.apply(ClusterChange(saved=[seen_at(f"c{n}", T0 + timedelta(hours=n)) for n in range(1, 5)]))
    store.apply(ClusterChange(deleted=["c1", "never-saved"]))
    assert ids(store.new_since(SINCE)) == ["c2", "c3", "c4"]

    # c3 merged into c2 (c2 keeps the older first_seen): c3 deleted, c2 saved with both records, in one change.
    merged = seen_at("c2", T0 + timedelta(hours=2), [("m", "c2"), ("m", "c3")])
    store.apply(
        ClusterChange(
            placements=[place("m", "c3", "c2")], deleted=["c3"], saved=[merged.model_copy(update={"title": "Merged"})]
        )
    )
    assert ids(store.new_since(SINCE)) == ["c2", "c4"]
    assert [c.title for c in store.new_since(SINCE)] == ["Merged", "Title c4"]

    # Deleted and saved in one change: kept, once.
    store.apply(ClusterChange(deleted=["c4"], saved=[seen_at("c4", T0 + timedelta(hours=4))]))
    store.apply(ClusterChange(deleted=["c2"]))
    store.apply(ClusterChange(deleted=["c2"]))
    assert ids(store.new_since(SINCE)) == ["c4"]
    store.apply(ClusterChange(deleted=["c4"]))
    assert list(store.new_since(datetime(2000, 1, 1, tzinfo=UTC))) == []


def test_a_cluster_saved_again_appears_once(backing: Backing[ClusterStore]) -> None:
    store = backing.store
    store.apply(ClusterChange(saved=[seen_at("c1", T0), seen_at("c2", T0 + timedelta(hours=1))]))
    grown = seen_at("c1", T0, [("m", "c1"), ("n", "2")]).model_copy(update={"updated_at": T0 + timedelta(days=1)})
    store.apply(ClusterChange(saved=[grown]))
    store.apply(ClusterChange(saved=[grown]))
    assert list(store.new_since(SINCE)) == [grown, seen_at("c2", T0 + timedelta(hours=1))]

    # Its first_seen moves (an older record joined): it moves in the index, to another day, and appears once.
    older = grown.model_copy(update={"first_seen": T0 - timedelta(days=3), "records": [*grown.records, ("o", "3")]})
    store.apply(ClusterChange(saved=[older]))
    assert ids(store.new_since(SINCE)) == ["c2"]
    assert list(store.new_since(T0 - timedelta(days=4), SINCE)) == [older]
    assert ids(store.new_since(T0 - timedelta(days=4))) == ["c1", "c2"]

    # ... and back to a later time, given at another offset.
    later = older.model_copy(update={"first_seen": (T0 + timedelta(hours=2)).astimezone(CST)})
    store.apply(ClusterChange(saved=[later]))
    for reopened in (False, True):
        reader = backing.reopen() if reopened else store
        assert list(reader.new_since(T0 - timedelta(days=4), SINCE)) == []
        assert list(reader.new_since(T0 - timedelta(days=4))) == [seen_at("c2", T0 + timedelta(hours=1)), later]
